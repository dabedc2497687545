"""Opening welfare checks at register close, closing them when a reason or the pupil arrives,
and advancing every check whose deadline has passed. Plain Python: the flow only calls these.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, exists, not_, select, update
from sqlmodel import Session

from chase.effects import ChaseEffects
from chase.locks import lock_checks
from chase.models import ReportedAbsence, WelfareCheck
from chase.morning import SchoolMorning
from chase.pending import Pending, TaskRow, insert_events, write_tasks
from chase.plan import due_at, resolve_plan, start_from
from chase.register_guard import chased_windows, check_registers
from school import checkpoints
from school.clock import Clock
from school.codes import CODES
from school.database import id_of, insert_ignoring_duplicates_returning
from school.pupil_flags import PUPIL_FLAGS
from school.roll import on_roll
from school.tables import MARKS, PUPILS
from state_machines.welfare_check import FINISHED, OPEN, CheckAdapter, fire

CHECKS = WelfareCheck.__table__  # type: ignore[attr-defined]
REPORTED = ReportedAbsence.__table__  # type: ignore[attr-defined]
CLAIM_BATCH = 500
WORKER_FLAGS = {"social_worker": "social worker", "yot": "youth offending team officer"}


def open_checks(session: Session, morning: SchoolMorning, clock: Clock) -> int:
    """Open a check for every on-roll pupil with no mark (or N) and no reason at register close,
    in the year groups whose register is taken (`chase.register_guard`).

    One query per register window; a unique key makes a second run (or a second worker) open
    nothing twice. Returns how many checks this call opened.
    """
    now = clock.now()
    policy = morning.policy.policy
    opened = 0
    for window in chased_windows(morning, now):
        registers = check_registers(session, morning, window, now)
        if not registers.taken:
            continue
        pupils = session.execute(_unexplained(morning, window.session, list(registers.taken)))
        rows = []
        for pupil in pupils:
            vulnerable = any(getattr(pupil, f) for f in policy.chase.vulnerable_flags)
            plan = resolve_plan(policy, morning.on, window, vulnerable)
            if registers.taken[pupil.year_group]:
                # The register came in after its alert: the chase starts now, each step keeping
                # its spacing, so parents are asked before the DSL is told.
                plan = start_from(plan, now)
            rows.append(
                {
                    "school_id": morning.school.id,
                    "pupil_id": pupil.id,
                    "date": morning.on,
                    "session": window.session,
                    "state": "unexplained",
                    "vulnerable": vulnerable,
                    "policy_version": morning.policy.version,
                    "plan": plan,
                    "next_step": 0,
                    "next_due_at": due_at(plan[0]),
                    "opened_at": now,
                    "version": 0,
                }
            )
        created = insert_ignoring_duplicates_returning(
            session, CHECKS, rows, ["pupil_id", "date", "session"], returning=CHECKS.c.id
        )
        if created:
            late = {y for y, alerted in registers.taken.items() if alerted}
            _record_opening(session, created, window.closes.strftime("%H:%M"), late, morning, now)
            opened += len(created)
    checkpoints.reached("open.before_commit")
    session.commit()
    return opened


def _unexplained(morning: SchoolMorning, session_name: str, year_groups: Sequence[int]) -> Any:
    """Pupils on roll with no mark other than N, no reported reason and no check today."""
    on = morning.on
    explained_mark = exists().where(
        MARKS.c.pupil_id == PUPILS.c.id,
        MARKS.c.date == on,
        MARKS.c.session == session_name,
        MARKS.c.code != "N",
    )
    reported = exists().where(
        REPORTED.c.pupil_id == PUPILS.c.id,
        REPORTED.c.date == on,
        REPORTED.c.session == session_name,
    )
    # One check a day: an afternoon absence after a morning chase is the morning's business.
    checked_today = exists().where(CHECKS.c.pupil_id == PUPILS.c.id, CHECKS.c.date == on)
    return select(PUPILS.c.id, PUPILS.c.year_group, *[PUPILS.c[f] for f in PUPIL_FLAGS]).where(
        on_roll(morning.school.id, on),
        PUPILS.c.year_group.in_(list(year_groups)),
        not_(explained_mark),
        not_(reported),
        not_(checked_today),
    )


def _record_opening(
    session: Session,
    created: list[int],
    close: str,
    late: set[int],
    morning: SchoolMorning,
    now: datetime,
) -> None:
    """The opening event for each new check, and the immediate 'tell their worker' tasks: one
    read, one insert of events and one of tasks, however many checks opened."""
    notify = [f for f in WORKER_FLAGS if f in morning.policy.policy.chase.notify_worker_flags]
    opened = session.execute(
        select(CHECKS.c.id, CHECKS.c.school_id, CHECKS.c.session, CHECKS.c.policy_version,
               PUPILS.c.given_name, PUPILS.c.year_group, *[PUPILS.c[f] for f in notify])
        .join(PUPILS, PUPILS.c.id == CHECKS.c.pupil_id)
        .where(CHECKS.c.id.in_(created))
        .order_by(CHECKS.c.id)
    ).mappings()  # fmt: skip
    pending = Pending()
    for check in opened:
        when = f"the register closed at {close}"
        if check["year_group"] in late:
            when = f"the register came in, late (it closed at {close})"
        pending.events.append(
            {
                "check_id": check["id"],
                "at": now,
                "from_state": "",
                "to_state": "unexplained",
                "trigger": "open",
                "actor": "engine",
                "reason": f"no mark and no reason given when {when}",
                "policy_version": check["policy_version"],
            }
        )
        child = check["given_name"]
        for flag in notify:
            if check[flag]:
                pending.new_tasks.append(
                    TaskRow(
                        check_id=check["id"],
                        school_id=check["school_id"],
                        kind=f"notify_{flag}",
                        step=-1,
                        due_at=now,
                        created_at=now,
                        contacts=[],
                        script=f"Tell {child}'s {WORKER_FLAGS[flag]} now that {child} is absent "
                        f"this {_session_word(check['session'])} and no reason has been given.",
                        by="dsl",
                    )
                )
    insert_events(session, pending.events)
    write_tasks(session, pending)


def _session_word(session_name: str) -> str:
    return "morning" if session_name == "AM" else "afternoon"


def seen_in(code: str) -> bool:
    """Whether a mark means someone saw the child: present, off-site attending, or late."""
    return CODES[code].attendance or code == "U"


def close_on_arrival(session: Session, morning: SchoolMorning, clock: Clock) -> int:
    """Close open checks whose session now has a mark other than N: the pupil arrived, or
    staff recorded a reason; and a morning check whose pupil was seen in the afternoon (a
    present or late PM mark: the child is safe, whatever the morning's mark). Returns how
    many closed."""
    marked = _open_checks_with(morning, MARKS, MARKS.c.code).where(MARKS.c.code != "N")
    codes = dict(session.execute(marked).tuples().all())
    afternoon = {
        check_id: code
        for check_id, code in session.execute(_seen_in_the_afternoon(morning)).tuples()
        if check_id not in codes and seen_in(code)
    }
    codes |= afternoon
    # A reason reported while this check was being opened by another run (the office saw no
    # check to explain yet): the check is explained here, on the next tick.
    why = (REPORTED.c.reason, REPORTED.c.recorded_by, REPORTED.c.suggested_code)
    reported = {
        row.id: row
        for row in session.execute(_open_checks_with(morning, REPORTED, *why)).all()
        if row.id not in codes
    }
    # Taken first, so a check another run is advancing or closing right now is waited for,
    # then closed here if it is still open, or left alone if that run finished it.
    checks = lock_checks(session, [*codes, *reported])
    effects = ChaseEffects(session, morning, clock.now())
    effects.load_tasks(id_of(c) for c in checks)  # one query for every check it closes
    for check in checks:
        code = codes.get(id_of(check))
        if code is None:
            told = reported[id_of(check)]
            reason = f"reported to staff: {told.reason}"
            fire(CheckAdapter(check, effects), "explain", actor=told.recorded_by, reason=reason,
                 suggested_code=told.suggested_code)  # fmt: skip
            continue
        seen = seen_in(code)
        reason = f"{'arrived' if seen else 'recorded as'} {code} ({CODES[code].meaning})"
        if id_of(check) in afternoon:
            reason = f"seen in the afternoon: {reason}"
        fire(
            CheckAdapter(check, effects),
            "explain",
            actor="register",
            reason=reason,
            suggested_code=None if seen else code,
        )
    effects.write()
    session.commit()
    return len(checks)


def _open_checks_with(morning: SchoolMorning, table: Any, *columns: Any) -> Any:
    """Today's open checks joined to `table`'s row for the same pupil and session."""
    return (
        select(CHECKS.c.id, *columns)
        .join(
            table,
            and_(
                table.c.pupil_id == CHECKS.c.pupil_id,
                table.c.date == CHECKS.c.date,
                table.c.session == CHECKS.c.session,
            ),
        )
        .where(
            CHECKS.c.school_id == morning.school.id,
            CHECKS.c.date == morning.on,
            CHECKS.c.state.not_in(FINISHED),
        )
    )


def _seen_in_the_afternoon(morning: SchoolMorning) -> Any:
    """Today's open morning checks with the pupil's afternoon mark, whatever it is."""
    return (
        select(CHECKS.c.id, MARKS.c.code)
        .join(
            MARKS,
            and_(
                MARKS.c.pupil_id == CHECKS.c.pupil_id,
                MARKS.c.date == CHECKS.c.date,
                MARKS.c.session == "PM",
            ),
        )
        .where(
            CHECKS.c.school_id == morning.school.id,
            CHECKS.c.date == morning.on,
            CHECKS.c.session == "AM",
            CHECKS.c.state.not_in(FINISHED),
        )
    )


def advance_due_checks(session: Session, morning: SchoolMorning, clock: Clock) -> int:
    """Run every step whose time has come, vulnerable pupils first; returns steps run.

    Each batch is one transaction that claims its checks (compare-and-set on `version`, with
    SKIP LOCKED on PostgreSQL) and writes their events, tasks and outbox rows, so two workers
    never advance the same check and a crash before commit leaves nothing half-done.
    """
    steps_run = 0
    while True:
        now = clock.now()
        claimed = _claim_due(session, morning.school.id, now)
        if not claimed:
            session.commit()
            return steps_run
        # Plain rows, outside the session: the batch's new states are written in one
        # statement below, not flushed check by check.
        checks = [
            WelfareCheck(**row)
            for row in session.execute(
                select(CHECKS)
                .where(CHECKS.c.id.in_(claimed))
                .order_by(CHECKS.c.vulnerable.desc(), CHECKS.c.next_due_at)
            ).mappings()
        ]
        checkpoints.reached("advance.claimed")
        effects = ChaseEffects(session, morning, now)
        effects.load([c.pupil_id for c in checks])
        effects.load_tasks(id_of(c) for c in checks)
        for check in checks:
            steps_run += _run_due_steps(CheckAdapter(check, effects), now)
        effects.write()
        _store_progress(session, checks)
        checkpoints.reached("advance.before_commit")
        session.commit()


def _store_progress(session: Session, checks: list[WelfareCheck]) -> None:
    """The claimed checks' new states and timers, in one statement. The claim holds them (it
    bumped `version` under SKIP LOCKED, or SQLite's write lock), so nobody changed them since."""
    if not checks:
        return
    session.execute(
        update(CHECKS)
        .where(CHECKS.c.id == bindparam("check_id"))
        .values(
            state=bindparam("state"),
            next_step=bindparam("next_step"),
            next_due_at=bindparam("next_due_at"),
        ),
        [
            {
                "check_id": id_of(c),
                "state": c.state,
                "next_step": c.next_step,
                "next_due_at": c.next_due_at,
            }
            for c in checks
        ],
    )


def _claim_due(session: Session, school_id: str, now: datetime) -> list[int]:
    due = (
        select(CHECKS.c.id)
        .where(
            CHECKS.c.school_id == school_id, CHECKS.c.next_due_at <= now, CHECKS.c.state.in_(OPEN)
        )
        .order_by(CHECKS.c.vulnerable.desc(), CHECKS.c.next_due_at)
        .limit(CLAIM_BATCH)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    # The first statement of the transaction is this write, so on SQLite it takes the write
    # lock before reading: a second worker waits, then finds the rows no longer due.
    claimed = session.execute(
        update(CHECKS)
        .where(CHECKS.c.id.in_(due.scalar_subquery()))
        .values(version=CHECKS.c.version + 1)
        .returning(CHECKS.c.id)
    )
    return [row[0] for row in claimed]


def _run_due_steps(check: CheckAdapter, now: datetime) -> int:
    """Run the claimed check's next step, then any later ones already due.

    The next step runs even if its planned time is later: a claimed check was due, either on
    time or brought forward (every message failed, no answer from the primary contact).
    """
    row: WelfareCheck = check.row
    plan = row.plan
    ran = 0
    while row.next_step < len(plan) and row.state in OPEN:
        step = plan[row.next_step]
        planned = due_at(step)
        if ran and planned > now:
            break
        reason = f"step due at {step['local_time']}"
        if planned > now:
            reason = f"brought forward from {step['local_time']}"
        fire(
            check,
            step["action"],
            step={**step, "index": row.next_step},
            actor="engine",
            reason=reason,
        )
        row.next_step += 1
        ran += 1
    row.next_due_at = (
        due_at(plan[row.next_step]) if row.state in OPEN and row.next_step < len(plan) else None
    )
    return ran
