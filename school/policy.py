"""A school's attendance policy file: the validated TOML schema and how to load it."""

from __future__ import annotations

import re
from datetime import time
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from school.calendar import RegisterSession
from school.contact_details import email_address, mobile_number
from school.law import (
    CONTINUOUS_ABSENCE_RETURN_SCHOOL_DAYS,
    N_CODE_SCHOOL_DAYS,
    NATIONAL_THRESHOLD_SESSIONS,
    NATIONAL_THRESHOLD_WEEKS,
    SICKNESS_RETURN_SCHOOL_DAYS,
)
from school.policy_retention import Retention
from school.pupil_flags import PupilFlag

POLICY_FORMAT = 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _clock(value: object) -> object:
    """Accept "09:00" strings as well as TOML local times."""
    if isinstance(value, str) and re.fullmatch(r"\d{1,2}:\d{2}", value.strip()):
        hours, minutes = value.strip().split(":")
        return time(int(hours), int(minutes))
    return value


def _wall_clock(value: time) -> time:
    """A policy's times are Europe/London wall-clock minutes: no offset, no seconds."""
    if value.tzinfo is not None:
        raise ValueError("give a local time such as 09:00, without an offset")
    if value.second or value.microsecond:
        raise ValueError("give hours and minutes only, such as 09:00")
    return value


Clock = Annotated[time, BeforeValidator(_clock), AfterValidator(_wall_clock)]
YearGroup = Annotated[int, Field(ge=-2, le=14)]  # N1=-2, N2=-1, Reception=0, Years 1-14

MINUTES_IN_A_DAY = 24 * 60
Anchor = Literal["register_open", "register_close", "reporting_deadline"]
_ANCHORS = r"register_open|register_close|reporting_deadline"
_STEP_TIME = re.compile(
    r"^\s*(?:(?P<clock>\d{1,2}:\d{2})"
    rf"|(?P<anchor>{_ANCHORS})"
    r"(?:\s*\+\s*(?P<minutes>\d+)\s*min)?)"
    rf"(?:\s*,\s*not\s+before\s+(?P<not_before>{_ANCHORS}))?\s*$"
)


class StepTime(_Strict):
    """When a chase step falls due: a clock time, or minutes after a register/reporting anchor.

    `not_before` holds the step back until another anchor for year groups whose register
    closes later (seed 002: calling at "reporting_deadline + 30 min", but never before the
    pupil's own register has closed).
    """

    clock: Clock | None = None
    anchor: Anchor | None = None
    minutes: int = Field(default=0, ge=0, le=MINUTES_IN_A_DAY)
    not_before: Anchor | None = None

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        match = _STEP_TIME.match(value)
        if not match:
            raise ValueError(
                f'{value!r} is not a step time: write a clock time such as "09:00", or an '
                "anchor (register_open, register_close, reporting_deadline) optionally "
                'followed by "+ N min", such as "reporting_deadline + 30 min"; either may end '
                'with ", not before <anchor>"'
            )
        floor = {"not_before": match["not_before"]} if match["not_before"] else {}
        if match["clock"]:
            return {"clock": _clock(match["clock"]), **floor}
        return {"anchor": match["anchor"], "minutes": int(match["minutes"] or 0), **floor}

    @model_validator(mode="after")
    def _clock_or_anchor(self) -> StepTime:
        if (self.clock is None) == (self.anchor is None):
            raise ValueError("give either a clock time or an anchor, not both or neither")
        return self

    def resolve(self, anchors: dict[str, time]) -> time:
        """The clock time this step falls due, given the pupil's register/reporting times."""
        if self.clock is not None:
            due = self.clock
        else:
            assert self.anchor is not None
            base = anchors[self.anchor]
            # Past midnight is held at 23:59; the policy's law check refuses such a step.
            total = min(base.hour * 60 + base.minute + self.minutes, MINUTES_IN_A_DAY - 1)
            due = time(total // 60, total % 60)
        if self.not_before is not None:
            return max(due, anchors[self.not_before])
        return due

    def __str__(self) -> str:
        if self.clock is not None:
            text = self.clock.strftime("%H:%M")
        else:
            text = f"{self.anchor} + {self.minutes} min" if self.minutes else str(self.anchor)
        return f"{text}, not before {self.not_before}" if self.not_before else text


class SchoolInfo(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    name: str
    trust: str | None = None
    local_authority: str
    year_groups: list[YearGroup] = Field(min_length=1)
    phone: str | None = None  # the number parents call; quoted in the texts they receive
    address: list[str] = []  # the postal address lines on the letterhead
    source: str = Field(description="The published policy this file was written from.")
    # The school's own whole-school target (seed 003: 93.5%); reporting only, never a trigger.
    attendance_target_pct: float | None = Field(default=None, ge=0, le=100)


class RegisterWindow(_Strict):
    """When the register opens and closes for a session, for some or all year groups."""

    session: RegisterSession
    opens: Clock
    closes: Clock
    year_groups: list[YearGroup] | None = None  # None: every year group

    @property
    def minutes_open(self) -> int:
        return (self.closes.hour * 60 + self.closes.minute) - (
            self.opens.hour * 60 + self.opens.minute
        )


class ParentReporting(_Strict):
    deadline: Clock
    every_day: bool = True
    channels: list[Literal["phone", "email", "app", "text", "in_person"]] = ["phone"]


ChaseAction = Literal[
    "message_parents", "call_primary", "call_others", "reasonable_steps", "alert_dsl"
]
ReasonableStep = Literal[
    "home_visit",
    "siblings_schools",
    "social_worker",
    "early_help",
    "police",
    "ewo",
    "emergency_contacts",
    "letter_home",
]
Channel = Literal["sms", "email"]
ContactSet = Literal["primary", "others", "all", "parental_responsibility"]
StaffRole = Literal[
    "office",
    "attendance_officer",
    "class_teacher",
    "head_of_year",
    "school_leader",
    "dsl",
    "headteacher",
    "ewo",
    "police",
]


class ChaseStep(_Strict):
    """One step of the morning chase for an unexplained absence."""

    action: ChaseAction
    at: StepTime
    channels: list[Channel] = []
    contacts: ContactSet | None = None
    reasonable_steps: list[ReasonableStep] = []
    by: list[StaffRole] = []
    note: str | None = None

    @model_validator(mode="after")
    def _shape(self) -> ChaseStep:
        if self.action == "message_parents" and not self.channels:
            raise ValueError("a message_parents step needs channels (sms, email)")
        if self.action == "reasonable_steps" and not self.reasonable_steps:
            raise ValueError("a reasonable_steps step needs the list of reasonable_steps")
        return self


class ChasePlan(_Strict):
    """The steps for one session; vulnerable pupils may follow tighter steps."""

    step: list[ChaseStep] = Field(min_length=1)
    vulnerable_step: list[ChaseStep] | None = None


class Chase(_Strict):
    vulnerable_flags: list[PupilFlag]
    # Pupils with these flags raise an immediate "tell their worker" task (spec §4).
    notify_worker_flags: list[PupilFlag] = ["social_worker", "yot"]
    # The register-taken guard: a year group's register counts as taken once this share of its
    # pupils on roll have a mark for the session; until then nobody in it is chased, and this
    # many minutes after the register closes the attendance officer is alerted.
    register_taken_pct: float = Field(default=50, gt=0, le=100)
    register_grace_minutes: int = Field(default=10, ge=0, le=120)
    AM: ChasePlan
    PM: ChasePlan | None = None


class Band(_Strict):
    """An attendance band: from_pct <= attendance % < below_pct, or <= at_most_pct.

    Every bound is optional. `at_most_pct` is the inclusive upper bound a seed needs when it
    uses the DfE wording ("absence of 10% or more", i.e. attendance <= 90%).
    """

    id: Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]
    label: str
    from_pct: float | None = Field(default=None, ge=0, le=100)
    below_pct: float | None = Field(default=None, ge=0, le=100.0001)
    at_most_pct: float | None = Field(default=None, ge=0, le=100)

    def contains(self, attendance_pct: float) -> bool:
        low_ok = self.from_pct is None or attendance_pct >= self.from_pct
        high_ok = (self.below_pct is None or attendance_pct < self.below_pct) and (
            self.at_most_pct is None or attendance_pct <= self.at_most_pct
        )
        return low_ok and high_ok


Stage = Literal["expect", "monitor", "listen", "facilitate", "formalise", "enforce"]
RungAction = Literal[
    "letter",
    "phone_call",
    "meeting",
    "improvement_plan",
    "support_plan",
    "action_plan",
    "attendance_contract",
    "medical_evidence_required",
    "monitoring",
    "weekly_updates",
    "daily_contact",
    "home_visit",
    "multi_agency_meeting",
    "early_help",
    "la_referral",
    "penalty_notice_warning",
    "legal_action_proposal",
    "congratulations_letter",
]
Cadence = Literal["daily", "weekly", "fortnightly", "half_term", "term"]


class LadderRung(_Strict):
    """One step of the school's letter and meeting ladder, in the order the school uses.

    A rung applies when every condition it gives holds: its band, its `after`/`after_any`
    rungs, `requires_*`, and `on_national_threshold`.
    """

    id: Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]
    title: str
    stage: Stage
    band: str | None = None  # a Band id; None for rungs triggered by other conditions only
    actions: list[RungAction] = Field(min_length=1)
    letter: str | None = None  # template name under templates/letters/
    after: list[str] = []  # rung ids that must all already have happened
    after_any: list[str] = []  # rung ids of which at least one must already have happened
    # Rung ids this rung is an alternative to (seed 003: Fast Track Letter 1 or 2): once any of
    # them has happened this rung is no longer applied or proposed.
    instead_of: list[str] = []
    requires_no_improvement: bool = False
    # When the national threshold is met (spec §5), e.g. seed 001 §9 "10 sessions ... a referral
    # will be made". Rungs proposing legal action are gated by the threshold whatever this says.
    on_national_threshold: bool = False
    # Only when the parent did not attend the meeting of a rung in `after` (seed 001 Level 4).
    requires_meeting_missed: bool = False
    # Also applies to pupils not of compulsory school age (seed 003 letters include under-5s).
    # Legal stages never apply to them (spec §7.1), which policy_law enforces.
    non_csa_pupils: bool = False
    max_in_succession: int | None = Field(default=None, ge=1)
    then: str | None = None  # rung id used once max_in_succession is exceeded
    automatic: bool = False  # applied by the daily review at once, else proposed to staff
    cadence: Cadence = "half_term"
    note: str | None = None


class Lateness(_Strict):
    """When lateness becomes persistent (counts of L and U marks)."""

    more_than_per_half_term: int | None = Field(default=None, ge=0)
    more_than_per_term: int | None = Field(default=None, ge=0)
    action: RungAction | None = None
    letters: list[str] = []  # letter templates, in the order they are sent (seed 003)
    note: str | None = None


class Reviews(_Strict):
    audit: Cadence = "half_term"
    review_every_school_weeks: int = Field(default=2, ge=1)
    # Seed 000: "no reasonable improvement within three weeks of the last communication".
    improvement_window_weeks: int | None = Field(default=None, ge=1)
    monitoring_weeks: int | None = Field(default=None, ge=1)
    # How long a daily-review proposal may wait for a decision before its facts are too old to
    # act on: confirming it later is refused and the review is run again.
    proposal_valid_school_days: int = Field(default=5, ge=1)


class HomeVisit(_Strict):
    when_no_contact: bool = True
    consecutive_school_days_absent: int | None = Field(default=None, ge=1)
    school_days_without_medical_evidence: int | None = Field(default=None, ge=1)
    vulnerable_pupils: bool = False
    severe_absence: bool = False


class MedicalEvidence(_Strict):
    after_consecutive_school_days: int | None = Field(default=None, ge=1)
    below_attendance_pct: float | None = Field(default=None, ge=0, le=100)
    note: str | None = None


class LaDuties(_Strict):
    """Duties to inform the local authority and others (spec §3, §4)."""

    continuous_unauthorised_school_days: int = Field(
        default=CONTINUOUS_ABSENCE_RETURN_SCHOOL_DAYS, ge=1
    )
    sickness_school_days: int = Field(default=SICKNESS_RETURN_SCHOOL_DAYS, ge=1)
    n_code_resolution_school_days: int = Field(default=N_CODE_SCHOOL_DAYS, ge=1)
    ehcp_inform_la: bool = True
    ehcp_attendance_below_pct: float | None = Field(default=None, ge=0, le=100)
    cme_contact: str | None = None


class Legal(_Strict):
    """Legal intervention settings; the national threshold itself is fixed by law (spec §5)."""

    national_threshold_sessions: int = NATIONAL_THRESHOLD_SESSIONS
    national_threshold_school_weeks: int = NATIONAL_THRESHOLD_WEEKS
    notice_to_improve_weeks: int = 4
    send_barriers_considered_before_sanction: bool = False


def _mobile(value: str) -> str:
    return mobile_number(value)


def _email(value: str) -> str:
    return email_address(value)


class Person(_Strict):
    """Someone the engine alerts (the DSL, a deputy): a text and an email must reach them."""

    role: str
    name: str | None = None
    email: Annotated[str, AfterValidator(_email)] | None = None
    mobile: Annotated[str, AfterValidator(_mobile)] | None = None


class Signatory(_Strict):
    """Who signs a letter: a role always, a name where the school gives one."""

    role: str
    name: str | None = None


class Letters(_Strict):
    """Who signs the school's letters: one signatory, and others for named letters."""

    signatory: Signatory = Signatory(role="Attendance Lead")
    # By the letter's name as the policy writes it ("micklefield/fast_track_3") or a default
    # letter's bare name ("notice_to_improve").
    signed_by: dict[str, Signatory] = {}

    def signatory_for(self, letter: str) -> Signatory:
        return self.signed_by.get(letter, self.signatory)


class Safeguarding(_Strict):
    dsl: Person
    deputy: Person | None = None
    attendance_lead: Person | None = None  # hears of the watchdog's problems; else the DSL


class Policy(_Strict):
    """Everything that differs between schools; the law's fixed values are checked in policy_law."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    policy_format: Literal[1]
    school: SchoolInfo
    # Named `registers` in Python: `register` would shadow BaseModel's ABC method.
    registers: list[RegisterWindow] = Field(alias="register", min_length=2)
    parent_reporting: ParentReporting
    chase: Chase
    safeguarding: Safeguarding
    band: list[Band] = Field(min_length=1)
    ladder: list[LadderRung] = Field(min_length=1)
    lateness: Lateness = Lateness()
    reviews: Reviews = Reviews()
    home_visit: HomeVisit = HomeVisit()
    medical_evidence: MedicalEvidence = MedicalEvidence()
    la_duties: LaDuties = LaDuties()
    legal: Legal = Legal()
    letters: Letters = Letters()
    retention: Retention = Retention()

    @model_validator(mode="after")
    def _signed_letters_exist(self) -> Policy:
        # A mistyped letter name would silently fall back to the default signatory.
        named = {r.letter for r in self.ladder if r.letter} | set(self.lateness.letters)
        unknown = sorted(set(self.letters.signed_by) - named - {"notice_to_improve"})
        if unknown:
            raise ValueError(
                f"letters.signed_by names {', '.join(unknown)}, which no ladder rung, lateness "
                "letter or notice_to_improve is; use the letter names the policy uses"
            )
        return self

    def register_window(self, year_group: int, session: RegisterSession) -> RegisterWindow:
        """The register window that applies to a year group in a session."""
        for window in self.registers:
            if window.session == session and (
                window.year_groups is None or year_group in window.year_groups
            ):
                return window
        raise KeyError(f"no {session} register window for year group {year_group}")

    def step_anchors(self, window: RegisterWindow) -> dict[str, time]:
        """The times a chase step is written against for pupils under a register window."""
        return {"register_open": window.opens, "register_close": window.closes,
                "reporting_deadline": self.parent_reporting.deadline}  # fmt: skip

    def band_named(self, band_id: str) -> Band:
        return next(b for b in self.band if b.id == band_id)
