"""Sensitivity categories of generated columns (see DOMAIN.md) and the sensitivity level each implies."""

from __future__ import annotations

# category -> sensitivity level written to the data dictionary
CATEGORIES: dict[str, str] = {
    "direct_identifier": "restricted",
    "quasi_identifier": "confidential",
    "health": "restricted",
    "mental_health": "restricted",
    "substance_use": "restricted",
    "hiv_status": "restricted",
    "immigration_status": "restricted",
    "criminal_history": "restricted",
    "juvenile_justice": "restricted",
    "dv_victim_status": "restricted",
    "child_welfare": "restricted",
    "federal_tax_information": "restricted",
    "education_record": "confidential",
    "benefits": "confidential",
    "homelessness": "confidential",
    "precise_location": "confidential",
    "financial": "confidential",
    "operational": "internal",
    "free_text": "confidential",
    "public": "public",
}

# Health information covered by HIPAA's minimum-necessary standard (substance use has its own rule, Part 2).
PHI_CATEGORIES = frozenset({"health", "mental_health", "hiv_status"})
# Health information in any form: what makes a health department's extract a HIPAA data set.
HEALTH_CATEGORIES = PHI_CATEGORIES | {"substance_use"}
# Sensitive attributes that need l >= 3 (not 2) within every equivalence class.
STRICT_L_CATEGORIES = HEALTH_CATEGORIES | {"criminal_history", "juvenile_justice"}

# Categories treated as sensitive attributes (l-diversity, minimum necessary) rather than identifiers.
SENSITIVE_CATEGORIES = frozenset(
    c for c in CATEGORIES
    if c not in {"direct_identifier", "quasi_identifier", "precise_location", "operational", "free_text", "public"}
)
