"""What each kind of task raised by a chase step tells staff to do, and whom it lists to call."""

from __future__ import annotations

from typing import Any

from school.models import Contact

# Reasonable steps that only make sense when a worker is already involved with the family.
WORKER_INVOLVED = ("social_worker", "child_protection_plan", "child_in_need_plan", "looked_after")
TASK_SCRIPTS = {
    "call": "Call {who} about {child}'s absence this {session}. Ask why {child} is not in school "
    "and whether they are safe. Record what they say.",
    "home_visit": "Visit {child}'s home (two members of staff). Record whether {child} was seen.",
    "siblings_schools": "Ask the schools of {child}'s brothers and sisters whether they are in "
    "today and whether the family has been in touch.",
    "social_worker": "Call {child}'s social worker: {child} is absent and the family cannot be "
    "reached.",
    "early_help": "Call the family's early help worker: {child} is absent and the family cannot "
    "be reached.",
    "police": "Decide with the DSL whether to ask the police for a safe and well check on {child}.",
    "ewo": "Ask the education welfare officer for a safe and well check on {child}.",
    "emergency_contacts": "Call every emergency contact on {child}'s file.",
    "letter_home": "Send a letter home asking the family to contact the school about {child}.",
}


def contact_card(contact: Contact) -> dict[str, Any]:
    return {
        "contact_id": contact.id,
        "priority": contact.priority,
        "name": contact.name,
        "relationship": contact.relationship,
        "mobile": contact.mobile,
        "email": contact.email,
        "parental_responsibility": contact.parental_responsibility,
    }
