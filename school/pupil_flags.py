"""Vulnerability and need flags a pupil may carry (the register import's `flags` column)."""

from __future__ import annotations

from typing import Literal, get_args

PupilFlag = Literal[
    "social_worker",
    "child_protection_plan",
    "child_in_need_plan",
    "looked_after",
    "ehcp",
    "send_support",
    "fsm",
    "young_carer",
    "medical_need",
    "yot",
]

PUPIL_FLAGS: tuple[str, ...] = get_args(PupilFlag)

# Spec §7.6: these move a pupil to the front of the morning calling queue.
VULNERABILITY_FLAGS: tuple[str, ...] = (
    "social_worker",
    "child_protection_plan",
    "child_in_need_plan",
    "looked_after",
    "yot",
    "medical_need",
)
