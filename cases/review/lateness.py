"""Persistent lateness as the policy counts it: a proposal, its letters one per occasion."""

from __future__ import annotations

from cases.review.records import Case, Review, Step
from cases.review.rules import HAPPENED, LATENESS, PENDING, figures


def lateness_step(review: Review, case: Case, threshold_met: bool) -> Step | None:
    """Persistent lateness as the policy counts it (L and U marks); always a proposal.

    Only a policy with numbers can trigger it: seeds 000, 002, 003 and 004 give none and
    leave the judgement to staff, who see the counts in the statistics.
    """
    rules, f = review.policy.lateness, case.figures
    if rules.action is None and not rules.letters:
        return None
    if not review.periods.ends_today("review"):
        return None
    half_term = f.late_before_close_half_term + f.late_after_close_half_term
    term = f.late_before_close_term + f.late_after_close_term
    reasons = []
    if rules.more_than_per_half_term is not None and half_term > rules.more_than_per_half_term:
        reasons.append(
            f"{half_term} late arrivals this half-term (more than {rules.more_than_per_half_term})"
        )
    if rules.more_than_per_term is not None and term > rules.more_than_per_term:
        reasons.append(f"{term} late arrivals this term (more than {rules.more_than_per_term})")
    if not reasons:
        return None
    key = f"{LATENESS}@{review.periods.key('half_term')}"
    earlier = [p for p in case.proposals if p.trigger_key.startswith(f"{LATENESS}@")]
    if key in case.by_key() or any(p.status == PENDING for p in earlier):
        return None
    # The policy's letters in order, one per occasion; the last one comes with its action.
    sent = sum(1 for p in earlier if p.status in HAPPENED)
    letter = rules.letters[min(sent, len(rules.letters) - 1)] if rules.letters else None
    last = not rules.letters or sent >= len(rules.letters) - 1
    actions = (("letter",) if letter else ()) + ((rules.action,) if rules.action and last else ())
    summary = "Persistent lateness: " + "; ".join(reasons)
    if rules.note:
        summary += f" ({rules.note})"
    return Step(
        key=key,
        rung_id=None,
        title="Persistent lateness",
        stage=None,
        actions=actions,
        letter=letter,
        automatic=False,
        summary=summary,
        evidence={
            **figures(f, threshold_met),
            "late_half_term": half_term,
            "late_term": term,
            "actions": list(actions),
            "letter": letter,
            "period": review.periods.key("half_term"),
        },
    )
