"""The policy's optional [retention] section: how long records are kept before they go."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from school.law import REGISTER_RETENTION_YEARS


class Retention(BaseModel):
    """What `attendance retention` deletes or anonymises, and when. Every value has a default,
    so a policy without the section keeps registers six years and message bodies 90 days."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Register entries and their amendments: at least six years (REG24; spec §3 Retention).
    register_years: int = Field(default=REGISTER_RETENTION_YEARS, ge=REGISTER_RETENTION_YEARS,
                                le=100)  # fmt: skip
    # Texts and emails sent, and parents' replies: bodies and numbers blanked after this many
    # days (the row stays: the chase's timeline still says a message went, and when).
    message_body_days: int = Field(default=90, ge=1, le=3650)
    # The web app's record of sign-ins (logins, failed and refused logins, log-outs, pages
    # refused): staff's personal data kept to investigate misuse, then deleted. What staff
    # changed stays in the audit log with the records it changed.
    access_log_days: int = Field(default=365, ge=30, le=3650)
    # DSL alerts, welfare checks, cases and legal actions are child protection records
    # (KCSIE: kept far longer, transferred with the child): never deleted by this command.
    safeguarding: Literal["never"] = "never"
