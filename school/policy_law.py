"""Checks that a policy obeys the law and is consistent with itself (spec §3–§5).

The law wins over a school's policy: a value the law does not allow is a problem to fix in
the policy file, not something the engine quietly overrides.
"""

from __future__ import annotations

from school.calendar import SESSIONS
from school.law import (
    CONTINUOUS_ABSENCE_RETURN_SCHOOL_DAYS,
    N_CODE_SCHOOL_DAYS,
    NATIONAL_THRESHOLD_SESSIONS,
    NATIONAL_THRESHOLD_WEEKS,
    NTI_WEEKS,
    REGISTER_OPEN_MAX_MINUTES,
    SICKNESS_RETURN_SCHOOL_DAYS,
)
from school.policy import ChaseStep, Policy


def policy_problems(policy: Policy) -> list[str]:
    """Every legal or consistency problem in a structurally valid policy, naming the key."""
    return [
        *_register_problems(policy),
        *_chase_problems(policy),
        *_ladder_problems(policy),
        *_lateness_problems(policy),
        *_duty_problems(policy),
    ]


def _register_problems(policy: Policy) -> list[str]:
    problems = []
    lengths = set()
    for i, window in enumerate(policy.registers, start=1):
        key = f"register[{i}]"
        minutes = window.minutes_open
        lengths.add(minutes)
        if minutes <= 0:
            problems.append(f"{key}: closes ({window.closes}) is not after opens ({window.opens})")
        elif minutes > REGISTER_OPEN_MAX_MINUTES:
            problems.append(
                f"{key}: the register is open {minutes} minutes; the law allows at most "
                f"{REGISTER_OPEN_MAX_MINUTES} (spec §3)"
            )
        unknown = set(window.year_groups or ()) - set(policy.school.year_groups)
        if unknown:
            problems.append(f"{key}.year_groups: {sorted(unknown)} not in school.year_groups")
    if len(lengths) > 1:
        problems.append(
            f"register: windows are open for {sorted(lengths)} minutes; the register must stay "
            "open for the same time in every session (spec §3)"
        )
    for session in SESSIONS:
        for year in policy.school.year_groups:
            matches = [
                i
                for i, w in enumerate(policy.registers, start=1)
                if w.session == session and (w.year_groups is None or year in w.year_groups)
            ]
            if not matches:
                problems.append(f"register: no {session} window for year group {year}")
            elif len(matches) > 1:
                problems.append(
                    f"register: year group {year} has {len(matches)} {session} windows "
                    f"(register{matches}); give each year group exactly one"
                )
    return problems


def _chase_problems(policy: Policy) -> list[str]:
    problems = []
    plans = [("AM", policy.chase.AM), ("PM", policy.chase.PM)]
    for session, plan in plans:
        if plan is None:
            continue
        for kind, steps in (("step", plan.step), ("vulnerable_step", plan.vulnerable_step)):
            if not steps:
                continue
            key = f"chase.{session}.{kind}"
            if steps[-1].action != "alert_dsl":
                problems.append(
                    f"{key}: the last step must be alert_dsl, so the DSL hears of every child "
                    "not known to be safe"
                )
            problems.extend(_step_order_problems(policy, session, key, steps))
    return problems


def _step_order_problems(
    policy: Policy, session: str, key: str, steps: list[ChaseStep]
) -> list[str]:
    """Steps must fall due in order for every year group (register close varies by year)."""
    for year in policy.school.year_groups:
        try:
            window = policy.register_window(year, session)  # type: ignore[arg-type]
        except KeyError:
            continue  # reported by the register checks
        anchors = policy.step_anchors(window)
        times = [s.at.resolve(anchors) for s in steps]
        for i in range(1, len(times)):
            if times[i] < times[i - 1]:
                return [
                    f"{key}[{i + 1}]: falls due at {times[i]:%H:%M} for year group {year}, "
                    f"before step {i} at {times[i - 1]:%H:%M}; steps must be in time order"
                ]
        if times[0] < window.closes:
            return [
                f"{key}[1]: falls due at {times[0]:%H:%M} for year group {year}, before the "
                f"register closes at {window.closes:%H:%M}; an absence is only unexplained "
                "once the register has closed"
            ]
    return []


def _ladder_problems(policy: Policy) -> list[str]:
    problems = []
    band_ids = [b.id for b in policy.band]
    rung_ids = [r.id for r in policy.ladder]
    for name, ids in (("band", band_ids), ("ladder", rung_ids)):
        dupes = {i for i in ids if ids.count(i) > 1}
        if dupes:
            problems.append(f"{name}: ids used twice: {sorted(dupes)}")
    for i, band in enumerate(policy.band, start=1):
        if (
            band.from_pct is not None
            and band.below_pct is not None
            and (band.from_pct >= band.below_pct)
        ):
            problems.append(f"band[{i}]: from_pct must be below below_pct")
        if band.below_pct is not None and band.at_most_pct is not None:
            problems.append(f"band[{i}]: give below_pct or at_most_pct, not both")
        if (
            band.from_pct is not None
            and band.at_most_pct is not None
            and (band.from_pct > band.at_most_pct)
        ):
            problems.append(f"band[{i}]: from_pct must not be above at_most_pct")
    rungs = {r.id: r for r in policy.ladder}
    for i, rung in enumerate(policy.ladder, start=1):
        key = f"ladder[{i}]"
        if rung.band is not None and rung.band not in band_ids:
            problems.append(f"{key}.band: {rung.band!r} is not a band id ({band_ids})")
        refs = [*rung.after, *rung.after_any, *rung.instead_of, *([rung.then] if rung.then else [])]
        for ref in refs:
            if ref not in rung_ids:
                problems.append(f"{key}: refers to {ref!r}, which is not a ladder id")
        if rung.band is None and not (rung.after or rung.after_any or rung.on_national_threshold):
            problems.append(
                f"{key}: needs a band, an `after`, an `after_any` or on_national_threshold to "
                "say when it applies"
            )
        if rung.requires_meeting_missed and not any(
            ref in rungs and "meeting" in rungs[ref].actions for ref in rung.after
        ):
            problems.append(
                f"{key}.requires_meeting_missed: needs an `after` rung whose actions include "
                "meeting"
            )
        if rung.non_csa_pupils and (
            rung.stage == "enforce"
            or {"legal_action_proposal", "penalty_notice_warning"} & set(rung.actions)
        ):
            problems.append(
                f"{key}.non_csa_pupils: legal action and penalty-notice warnings apply only to "
                "pupils of compulsory school age (spec §7.1)"
            )
        if rung.max_in_succession is not None and rung.then is None:
            problems.append(f"{key}: max_in_succession needs `then` (the rung used instead)")
        if "letter" in rung.actions and not rung.letter:
            problems.append(f"{key}.letter: a rung that sends a letter must name its template")
        if rung.stage in ("formalise", "enforce") and rung.automatic:
            problems.append(
                f"{key}.automatic: moves into {rung.stage} are consequential and must be "
                "confirmed by a named member of staff (design principle 7)"
            )
        if "legal_action_proposal" in rung.actions and rung.automatic:
            problems.append(f"{key}.automatic: legal action is always a proposal, never automatic")
    return problems


def _lateness_problems(policy: Policy) -> list[str]:
    if policy.lateness.action == "letter" and not policy.lateness.letters:
        return ["lateness.letters: a lateness action of letter must name its letter templates"]
    return []


def _duty_problems(policy: Policy) -> list[str]:
    problems = []
    duties, legal = policy.la_duties, policy.legal
    days = duties.continuous_unauthorised_school_days
    if days > CONTINUOUS_ABSENCE_RETURN_SCHOOL_DAYS:
        problems.append(
            f"la_duties.continuous_unauthorised_school_days: {days} is later than the law "
            f"allows; the LA must hear at {CONTINUOUS_ABSENCE_RETURN_SCHOOL_DAYS} continuous "
            "school days of unauthorised absence (spec §4)"
        )
    if duties.sickness_school_days > SICKNESS_RETURN_SCHOOL_DAYS:
        problems.append(
            f"la_duties.sickness_school_days: {duties.sickness_school_days} exceeds the "
            f"{SICKNESS_RETURN_SCHOOL_DAYS} school days at which a sickness return is due (spec §4)"
        )
    if duties.n_code_resolution_school_days > N_CODE_SCHOOL_DAYS:
        problems.append(
            f"la_duties.n_code_resolution_school_days: an N code must be replaced within "
            f"{N_CODE_SCHOOL_DAYS} school days (spec §3)"
        )
    if (legal.national_threshold_sessions, legal.national_threshold_school_weeks) != (
        NATIONAL_THRESHOLD_SESSIONS,
        NATIONAL_THRESHOLD_WEEKS,
    ):
        problems.append(
            f"legal: the national threshold is fixed by law at {NATIONAL_THRESHOLD_SESSIONS} "
            f"sessions of unauthorised absence in a rolling {NATIONAL_THRESHOLD_WEEKS} school "
            "weeks (spec §5); a school cannot change it"
        )
    low, high = NTI_WEEKS
    if not low <= legal.notice_to_improve_weeks <= high:
        problems.append(
            f"legal.notice_to_improve_weeks: {legal.notice_to_improve_weeks} is outside the "
            f"{low} to {high} weeks the framework allows (spec §5)"
        )
    return problems
