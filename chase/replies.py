"""What a parent's text in reply to an absence message most likely means.

Safety comes first: anything that suggests the parent did not know the child was absent alerts
the DSL; only a recognised reason explains an absence; "she's with me" means safe, reason to
follow; anything else is unclear and the chase goes on while staff read it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Phrases that mean the parent thought the child was at school or on the way.
_UNAWARE = re.compile(
    r"left for school|went (off )?to school|gone to school|set off (for|to) school|"
    r"not with me|isn'?t with me|(did ?n[o']?t|didnt|don'?t|dont|do not) know|no idea|"
    r"should be (at|in) school|thought (he|she|they) (was|were|is|are) (at|in) school|"
    r"(he|she|they)('s| is| are| was| were) at school|on (his|her|their) way|"
    r"where is (he|she)|where are they|not at home",
    re.IGNORECASE,
)
# Ways a knowing parent uses those words: "didn't know I had to ring", "hasn't gone to school".
_NOT_UNAWARE = re.compile(
    r"(did ?n[o']?t|didnt|don'?t|dont|do not) know (i|we) (had|needed|have|need|should)|"
    r"(has|have|had|is|was|were)(n'?t| not) (gone|went|left|been) (to|for) school|"
    r"not (gone|going|left) (to|for) school",
    re.IGNORECASE,
)
_REASONS = [
    (
        "I",
        re.compile(
            r"\b(ill|sick|unwell|poorly|temperature|fever|vomit\w*|flu|covid|cold|cough\w*|"
            r"headache|migraine|stomach\w*|tummy|diarrh\w*|d ?& ?v|chicken ?pox|tonsil\w*|"
            r"asthma|rash|injur\w*|hurt)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "M",
        re.compile(
            r"\b(doctors?|gp|dentist|dental|hospital|appointment|appt|orthodontist|clinic|"
            r"optician|physio\w*)\b",
            re.IGNORECASE,
        ),
    ),
    ("R", re.compile(r"\b(religious|eid|diwali|yom kippur|vaisakhi|festival)\b", re.IGNORECASE)),
]
# The child is with a parent who knows, but no reason yet.
_SAFE_WITH_PARENT = re.compile(
    r"(is|'s|are) (with me|with us|at home|home with)|keeping (him|her|them) (home|off)|"
    r"staying (at )?home|off (school )?today|not coming in|won'?t be in|will be in later",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ReplyMeaning:
    meaning: str  # parent_unaware, reason_given, safe_reason_to_follow, unclear
    suggested_code: str | None = None


def _unaware(body: str) -> bool:
    cleaned = _NOT_UNAWARE.sub(" ", body)
    return bool(_UNAWARE.search(cleaned))


def read_reply(body: str) -> ReplyMeaning:
    """The reply's most likely meaning; staff confirm any code it suggests."""
    if _unaware(body):
        return ReplyMeaning("parent_unaware")
    for code, pattern in _REASONS:
        if pattern.search(body):
            return ReplyMeaning("reason_given", code)
    if _SAFE_WITH_PARENT.search(body):
        return ReplyMeaning("safe_reason_to_follow")
    return ReplyMeaning("unclear")


def children_named(body: str, first_names: dict[int, str]) -> set[int]:
    """Which of a family's children the text names (by first name), if any."""
    return {
        key
        for key, name in first_names.items()
        if re.search(rf"\b{re.escape(name)}\b", body, re.IGNORECASE)
    }
