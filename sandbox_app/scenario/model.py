"""A whole scenario file: the city (from ``synthetic.spec``) plus agreements and exercises."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, PrivateAttr, TypeAdapter, ValidationError

from sandbox_app.errors import Problem, ScenarioError
from synthetic.spec import CitySpec, Identifier, Strict

SCENARIO_FORMAT = "city-sandbox/scenario@1"

Verdict = Literal["approve", "revise", "reject"]
Release = Literal["internal", "agreement", "public"]


class Clause(Strict):
    id: str = Field(min_length=1, description="Clause number as the agreement prints it, e.g. '4.2'")
    text: str = Field(min_length=1)
    covers: list[str] = Field(default_factory=list, description="Categories and rule ids the clause governs "
                              "(findings about them cite it), e.g. [mental_health, small_cells]")


class Agreement(Strict):
    """A data-sharing agreement (MOU, DUA, ordinance…) that governs exercises."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    title: str = Field(min_length=1)
    kind: Literal["mou", "data_use_agreement", "ordinance", "statute", "court_order", "none"] = "mou"
    parties: list[str] = Field(min_length=1, description="Department ids bound by the agreement")
    legal_basis: str = ""
    purposes: list[str] = Field(default_factory=list, description="Purpose ids the agreement permits")
    permitted_categories: list[str] = Field(default_factory=list)
    prohibited_categories: list[str] = Field(default_factory=list)
    release: Release = Field(default="agreement", description="internal, agreement (non-public) or public")
    deidentified: bool = Field(default=False, description="Shares under it must be de-identified")
    data_use_agreement: bool = Field(default=False, description="A data use agreement is in place")
    consent: list[str] = Field(default_factory=list, description="Categories for which written consent is on file")
    privacy_officer_approval: bool = False
    min_cell_size: int = Field(default=11, ge=1, le=1000)
    k_threshold: int | None = Field(default=None, ge=1, le=1000, description="Default from `release`: 5/11/20")
    l_threshold: int = Field(default=2, ge=1, le=50)
    prosecutor_risk: float | None = Field(default=None, gt=0, le=1,
                                          description="Highest prosecutor risk allowed; default 1/k")
    retention_days: int = Field(default=365, ge=1, le=36500)
    redisclosure: Literal["prohibited", "with_approval", "permitted"] = "prohibited"
    clauses: list[Clause] = Field(default_factory=list)

    @property
    def k(self) -> int:
        return self.k_threshold or {"internal": 5, "agreement": 11, "public": 20}[self.release]


class AggregateNeed(Strict):
    group_by: list[str] = Field(min_length=1)
    measures: list[str] = Field(default_factory=lambda: ["count"])


class Needs(Strict):
    """What the purpose needs; the usefulness score is measured against it."""

    tables: list[str] = Field(min_length=1, description="Tables of the holding department the purpose draws on")
    rows: str | None = Field(
        default=None,
        description="Expression on the true residents' attributes: which residents' records are needed",
    )
    fields: dict[str, str] = Field(
        default_factory=dict,
        description="field -> coarsest acceptable grain (exact, year, quarter, month, band5, band10, band20, "
                    "zip3, neighbourhood, flag, pseudonym, any)",
    )
    linkable: bool = Field(default=False, description="Records must carry a stable (pseudonymous) id")
    aggregate: AggregateNeed | None = None


class KnownAnswer(Strict):
    share: str | dict[str, Any] = Field(description="Path of a share document (relative to the scenario) or inline")
    expect: Verdict
    teaches: str = Field(default="", description="What a trainee should learn from it")


class PriorRelease(Strict):
    """A table the city already published: the differencing check subtracts it from new shares."""

    title: str = Field(min_length=1, description="What it was, e.g. 'Q3 warming-centre counts (published)'")
    share: str | dict[str, Any] = Field(description="Path of its share document (relative to the scenario) or inline")


class Exercise(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    title: str = Field(min_length=1)
    brief: str = Field(min_length=1, description="The request, written the way the department wrote it")
    requesting_department: str
    holding_department: str
    agreement: str
    purpose: str = Field(min_length=1, description="Purpose id; compared with the agreement's purposes")
    purpose_text: str = ""
    needs: Needs
    lawful_answer: Literal["share", "refuse", "refuse_in_part"] = Field(
        default="share",
        description="What the law lets the holder do: share what `needs` describes; refuse (the request is "
                    "unlawful: a recorded refusal is the right answer); or refuse_in_part (`needs` describes "
                    "the part that may be shared, the rest is refused)",
    )
    model_answer: str | dict[str, Any] | None = None
    bad_answers: list[KnownAnswer] = Field(default_factory=list)


class CustomRule(Strict):
    """A rule of the scenario's own, from a template (docs/privacy-reference.md#custom-rule-templates)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=60, description="Reported as the finding's rule")
    template: Literal["never_to_recipients", "needs_consent_or_authority", "no_row_level_under_age"]
    title: str = Field(min_length=1, description="What the rule requires, in one line")
    citation: str = Field(min_length=1, description="The law, ordinance or policy it comes from")
    severity: Literal["blocker", "major", "minor"] = "blocker"
    category: str | None = Field(default=None, description="never_to_recipients, needs_consent_or_authority: "
                                 "the category governed")
    recipients: list[str] = Field(default_factory=list, description="never_to_recipients: department kinds "
                                  "that may never receive the category (general, health, justice …)")
    authority: list[str] = Field(default_factory=list, description="needs_consent_or_authority: agreement "
                                 "kinds that authorise it without consent (statute, court_order …)")
    age: int | None = Field(default=None, ge=1, le=110, description="no_row_level_under_age: residents younger "
                            "than this are never in a row-level share")


class Scenario(CitySpec):
    """One scenario file: a city, its agreements and its exercises."""

    format: Literal["city-sandbox/scenario@1"] = Field(default=SCENARIO_FORMAT)
    name: str = Field(pattern=r"^[a-z][a-z0-9-]*$", max_length=60, description="Short name used on the command line")
    title: str = Field(min_length=1)
    description: str = ""
    agreements: list[Agreement] = Field(default_factory=list)
    exercises: list[Exercise] = Field(default_factory=list)
    prior_releases: list[PriorRelease] = Field(
        default_factory=list, description="Tables already published (share documents); a new share's cells that "
        "can be recovered exactly by subtracting one from the other are small-cell findings")
    zip3_populations: dict[Annotated[str, Field(pattern=r"^\d{3}$")], Annotated[int, Field(ge=0)]] = Field(
        default_factory=dict, description="Real population of each ZIP3 area (as the Census publishes it, "
        "quote the keys: \"441\": 35000); hipaa_zip3 uses it instead of counting synthetic residents")
    custom_rules: list[CustomRule] = Field(default_factory=list, max_length=100,
                                           description="Rules of this scenario's own, each from a template")
    _source: Path | None = PrivateAttr(default=None)  # ids are checked unique, with locations, by check_scenario
    _sha256: str | None = PrivateAttr(default=None)  # of the file's bytes, set by load_scenario

    def with_seed(self, seed: int) -> Scenario:
        """This scenario with another seed, checked by the same rule as the file's own `seed` (a seed outside
        the range the generator takes is a ScenarioError naming the range, not a crash in the generator)."""
        field = type(self).model_fields["seed"]
        try:
            seed = TypeAdapter(Annotated[field.annotation, field]).validate_python(seed, strict=True)
        except ValidationError:
            low = next(m.ge for m in field.metadata if hasattr(m, "ge"))
            high = next(m.le for m in field.metadata if hasattr(m, "le"))
            shown = str(seed) if isinstance(seed, int) and abs(seed) < 10**30 else "that value"
            raise ScenarioError([Problem("--seed", None, "", f"{shown} is not a valid seed: it must be a whole "
                                         f"number from {low} to {high:,}")]) from None
        copy = self.model_copy(update={"seed": seed})
        copy._source = self._source
        return copy

    def exercise(self, exercise_id: str) -> Exercise | None:
        return next((e for e in self.exercises if e.id == exercise_id), None)

    def agreement(self, agreement_id: str) -> Agreement | None:
        return next((a for a in self.agreements if a.id == agreement_id), None)

    def department(self, department_id: str):
        return next((d for d in self.departments if d.id == department_id), None)


__all__ = ["Agreement", "CustomRule", "Exercise", "Identifier", "Needs", "Scenario", "SCENARIO_FORMAT"]
