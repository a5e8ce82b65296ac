"""The generated reference pages are current: regenerate them when the schema, categories or rules change."""

from __future__ import annotations

from pathlib import Path

from sandbox_app.privacy.domain_reference import privacy_reference_markdown
from sandbox_app.scenario.reference import scenario_format_markdown

DOCS = Path(__file__).parents[1] / "docs"


def test_scenario_format_is_generated_from_the_schema():
    assert (DOCS / "scenario-format.md").read_text(encoding="utf-8") == scenario_format_markdown() + "\n", \
        "run: python -m sandbox_app.scenario.reference > docs/scenario-format.md"


def test_privacy_reference_is_generated_from_the_categories_and_rules():
    text = (DOCS / "privacy-reference.md").read_text(encoding="utf-8")
    assert text == privacy_reference_markdown(), \
        "run: python -m sandbox_app.privacy.domain_reference > docs/privacy-reference.md"
    assert "`library_record`" not in text and "`never_to_recipients`" in text


def test_no_doc_points_to_a_domain_file_outside_the_repository():
    for page in [*DOCS.glob("*.md"), DOCS.parent / "README.md"]:
        assert "DOMAIN.md" not in page.read_text(encoding="utf-8"), page
