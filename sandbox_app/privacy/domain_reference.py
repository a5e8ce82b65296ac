"""docs/privacy-reference.md: the categories, the rule catalogue and the custom-rule templates, generated from
the code that defines them so the docs never describe them twice.

Regenerate with ``python -m sandbox_app.privacy.domain_reference > docs/privacy-reference.md`` (a test checks
it is current).
"""

from __future__ import annotations

from sandbox_app.privacy.catalogue import catalogue
from synthetic.categories import CATEGORIES, DESCRIPTIONS, SENSITIVE_CATEGORIES


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def privacy_reference_markdown() -> str:
    from sandbox_app.privacy.custom_rules import TEMPLATES
    from sandbox_app.privacy.differencing import METHOD_MARKDOWN

    out = ["# Categories and privacy rules", "",
           "Generated from `synthetic/categories.py`, `sandbox_app/privacy/rules.yaml` and "
           "`sandbox_app/privacy/custom_rules.py` and `sandbox_app/privacy/differencing.py`; do not edit by hand.", "",
           "## Categories", "",
           "Every generated column carries one category; the data dictionary records it with its sensitivity "
           "level. *Sensitive* categories are the sensitive attributes of l-diversity and minimum necessary. A "
           "scenario may add its own (`custom_categories`, see [scenario-format.md](scenario-format.md)).", "",
           "| category | sensitivity | sensitive | covers, and the default policy |", "|---|---|---|---|"]
    for name, level in CATEGORIES.items():
        out.append(f"| `{name}` | {level} | {'yes' if name in SENSITIVE_CATEGORIES else ''} | "
                   f"{_cell(DESCRIPTIONS.get(name, ''))} |")
    out += ["", "## Rules", "",
            "Severity: **blocker** (verdict *reject*), **major** (*revise*), **minor** (lowers the score). "
            "Citations marked *(unverified)* were not confirmed against the official text.", "",
            "| rule | severity | what it checks | law or source | settings |", "|---|---|---|---|---|"]
    for rule in catalogue().values():
        settings = ", ".join(f"`{k}: {v}`" for k, v in rule.settings.items())
        out.append(f"| `{rule.id}` | {rule.severity} | {_cell(rule.title)} | {_cell(rule.cited)} | {settings} |")
    out += ["", "## Custom rule templates", "",
            "A scenario declares its own rules in `custom_rules`, each from one of these templates, with the "
            "citation text a finding shows. Each custom rule is reported under its own id.", "",
            "| template | parameters | a finding when |", "|---|---|---|"]
    for template in TEMPLATES.values():
        out.append(f"| `{template.name}` | {_cell(template.parameters)} | {_cell(template.description)} |")
    out += ["", "## Differencing", "", METHOD_MARKDOWN.rstrip()]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(privacy_reference_markdown(), end="")
