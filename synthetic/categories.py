"""Sensitivity categories of generated columns and the sensitivity level each implies (docs/privacy-reference.md,
generated from this module and the rule catalogue)."""

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

# What each category covers and its default policy (docs/privacy-reference.md is generated from this).
DESCRIPTIONS: dict[str, str] = {
    "direct_identifier": "Name, SSN, phone, e-mail, street address, record numbers, plates, device ids. Only where "
                         "the agreement names them and the purpose needs contact.",
    "quasi_identifier": "Birth date, age, sex, ZIP, neighbourhood, language, household size, event dates: "
                        "harmless alone, identifying together (k-anonymity, linkage).",
    "health": "Diagnoses, equipment, clinical data (HIPAA). Pseudonymised for named purposes under a DUA; "
              "else aggregate, N >= 11.",
    "mental_health": "Mental-health diagnoses and treatment. As health, and excluded by many agreements.",
    "substance_use": "Substance-use treatment records (42 CFR Part 2). Consent only; else aggregate; never to "
                     "justice agencies.",
    "hiv_status": "HIV status. Aggregate only.",
    "immigration_status": "Citizenship and immigration status. Never.",
    "criminal_history": "Arrests, charges, convictions (CJIS). Never to non-justice agencies; else aggregate.",
    "juvenile_justice": "Juvenile justice records. Never at row level.",
    "dv_victim_status": "Domestic-violence victim status (VAWA). Never from victim service providers, not even "
                        "hashed; aggregate only.",
    "child_welfare": "Child-welfare case data. Never without statute or court order.",
    "federal_tax_information": "Federal tax returns and return information (IRC 6103). Never.",
    "education_record": "Education records (FERPA). Directory items only; else consent or a studies/audit "
                        "agreement.",
    "benefits": "SNAP, Medicaid and other programme participation. Pseudonymised only for programme "
                "administration; else aggregate.",
    "homelessness": "Homeless services (HMIS). As the privacy notice allows; else aggregate.",
    "precise_location": "Coordinates of a residence or event. Coarsen to ZIP3 or neighbourhood unless the "
                        "purpose needs the address.",
    "financial": "Income, accounts, balances. Only what the purpose needs; accounts never.",
    "operational": "Non-personal data: road segments, asset ids, statuses.",
    "free_text": "Notes and descriptions: may hide names, phone numbers and addresses.",
    "public": "Already public (the published voter roll).",
}
