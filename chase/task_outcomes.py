"""What a member of staff may record on a call-list task, and the check event each one fires.

Kept apart from the chase's services so the command line can list them without loading them.
"""

from __future__ import annotations

TASK_OUTCOMES = {
    "answered_explained": "explain",
    "answered_reason_to_follow": "confirm_safe",
    "no_answer": None,
    "voicemail_left": None,
    "wrong_number": None,
    "visited_child_seen": "confirm_safe",
    "visited_nobody_home": None,
    "done": None,  # e.g. the social worker has been told
}
