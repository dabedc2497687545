"""Who a letter goes to: parents with parental responsibility, one letter per home."""

from __future__ import annotations

from dataclasses import dataclass

from school.models import Contact


@dataclass(frozen=True)
class Addressees:
    """One letter's addressees: parents who share a postal address, or one parent alone."""

    contacts: tuple[Contact, ...]
    postal_address: tuple[str, ...]  # () when none is held: the letter can only be emailed

    @property
    def greeting(self) -> str:
        """The names greeted, in calling order: "Ms A Smith and Mr B Smith"."""
        return " and ".join(c.name for c in self.contacts)

    @property
    def contact_ids(self) -> list[int]:
        # A notice's parent not on file has no contact row (and no id) to point at.
        return [c.id for c in self.contacts if c.id is not None]


def _home(contact: Contact) -> tuple[str, ...]:
    # Two parents live together when their addresses match, spelling and case aside.
    return tuple(" ".join(line.casefold().split()) for line in contact.postal_address())


def addressee_groups(parents: list[Contact]) -> list[Addressees]:
    """One group per postal address shared by parents; a parent with no address alone.

    `parents` are the contacts with parental responsibility in calling order; the groups
    keep that order (by each group's first parent).
    """
    homes: dict[tuple[str, ...], list[Contact]] = {}
    groups: list[list[Contact]] = []
    for contact in parents:
        home = _home(contact)
        if home and home in homes:
            homes[home].append(contact)
            continue
        group = [contact]
        groups.append(group)
        if home:
            homes[home] = group
    return [Addressees(tuple(g), tuple(g[0].postal_address())) for g in groups]


def unreachable(contact: Contact) -> str:
    """The problem staff are shown for a parent a letter cannot reach."""
    return (
        f"{contact.name} ({contact.label()}) has no postal address and no email on file: "
        "add an address to contacts.csv, or hand the printed letter over"
    )
