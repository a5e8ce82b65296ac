"""Refusals: scoring a share whose decision is to refuse, and sharing what the law says to refuse.

A whole refusal shares nothing, so no privacy rule applies to it (least of all the purpose rules: a refusal
is never marked down for the purpose it refuses) and privacy is 100. Its usefulness depends on the
exercise's `lawful_answer`: refusing an unlawful request is the full answer (100); refusing a lawful one
fails everyone the request is about (0, and a finding saying how many residents wait). A partial refusal
(`refuse_in_part`) that shares something is scored as a share of what it shares; an exercise whose lawful
answer is refuse_in_part describes in `needs` only the part that may be shared, so the refused part is never
counted as missing.
"""

from __future__ import annotations

from dataclasses import replace

from sandbox_app.privacy.catalogue import Finding, finding
from sandbox_app.privacy.context import ShareContext
from sandbox_app.privacy.usefulness import Usefulness
from sandbox_app.sharing.document import ShareDocument

_FLAGGING = ("blocker", "major")


def refuses_all(share: ShareDocument) -> bool:
    """Does the share refuse the whole request (decision refuse, or refuse_in_part sharing nothing)?"""
    return share.decision == "refuse" or (share.decision == "refuse_in_part" and not share.tables
                                          and share.aggregate is None)


def refusal_usefulness(ctx: ShareContext) -> Usefulness:
    """Usefulness of a whole refusal: 100 if the lawful answer is to refuse, else 0 with who waits.

    `ctx.usefulness` is the assessment of the (empty) extract, which knows how many residents the
    request is about."""
    assessed: Usefulness = ctx.usefulness
    if ctx.exercise.lawful_answer == "refuse":
        return replace(assessed, score=100, covered=assessed.needed_rows, recall=1.0, precision=1.0, fields={},
                       linkable=None, findings=[])
    waiting = assessed.needed_rows
    if ctx.exercise.lawful_answer == "refuse_in_part":
        hint = "share the part the law allows and refuse the rest (decision refuse_in_part, with the reason)"
    else:
        hint = "share what the purpose needs, protected as the rules require"
    who = f"{waiting:,} resident{'' if waiting == 1 else 's'} wait" if waiting else "the purpose goes unserved"
    return replace(assessed, score=0, findings=[finding(
        "usefulness", f"The request was lawful: {who}. Refusing it protects no one the law asks you to protect.",
        rows=waiting, hint=hint)])


def unrefused_findings(ctx: ShareContext, findings: list[Finding]) -> list[Finding]:
    """A major finding when the lawful answer is to refuse but the share shares, unless a privacy rule of
    major or blocker severity already says why it must not."""
    if ctx.exercise.lawful_answer != "refuse":
        return []
    if any(f.severity in _FLAGGING for f in findings if f.rule != "usefulness"):
        return []
    agreement = ctx.agreement.title if ctx.agreement else "the governing law"
    return [finding("lawful_refusal", f"This request must be refused under {agreement}: answering it, even with "
                    "nothing or next to nothing, is not a refusal and leaves no record of why.",
                    hint='set "decision": "refuse" and give the reason (the clause that forbids the request)')]


__all__ = ["refusal_usefulness", "refuses_all", "unrefused_findings"]
