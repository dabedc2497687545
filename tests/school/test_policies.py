"""The bundled policy files load, say what their seeds say, and bad policies are refused by key."""

from __future__ import annotations

import tomllib
import types
from datetime import time
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import pytest
from pydantic import BaseModel

from school.errors import InputError
from school.policy import Policy, StepTime
from school.policy_files import POLICY_DIR, bundled_policy, load_policy, parse_policy

ALL_POLICIES = sorted(POLICY_DIR.glob("*.toml"))
SEED_SCHOOLS = ["emmanuel-middle", "st-john-bosco", "basildon-lower", "micklefield", "kts-academy"]
EMMANUEL = bundled_policy("emmanuel-middle").read_text(encoding="utf-8")


def policy(school_id: str) -> Policy:
    return load_policy(bundled_policy(school_id)).policy


def edited(*replacements: tuple[str, str]) -> str:
    """The Emmanuel policy with each `old` (which must occur exactly once) replaced."""
    text = EMMANUEL
    for old, new in replacements:
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in Emmanuel"
        text = text.replace(old, new)
    return text


def problems_of(text: str) -> list[str]:
    with pytest.raises(InputError) as refused:
        parse_policy(text, "bad.toml")
    assert refused.value.source == "bad.toml"
    return refused.value.problems


def has(problems: list[str], *fragments: str) -> bool:
    """Whether one problem contains every fragment."""
    return any(all(f in p for f in fragments) for p in problems)


def step_times(p: Policy, year_group: int, session: str = "AM") -> list[tuple[str, time]]:
    window = p.register_window(year_group, session)  # type: ignore[arg-type]
    anchors = {
        "register_open": window.opens,
        "register_close": window.closes,
        "reporting_deadline": p.parent_reporting.deadline,
    }
    plan = p.chase.AM if session == "AM" else p.chase.PM
    assert plan is not None
    return [(s.action, s.at.resolve(anchors)) for s in plan.step]


def mark_for_arrival(p: Policy, year_group: int, session: str, arrived: time) -> str:
    """L before the register closes, U after (spec §1, §3)."""
    return "L" if arrived <= p.register_window(year_group, session).closes else "U"  # type: ignore[arg-type]


# --- every bundled file loads -------------------------------------------------------------


def test_the_seed_schools_and_the_template_are_all_bundled() -> None:
    names = {path.stem for path in ALL_POLICIES}
    assert {*SEED_SCHOOLS, "template"} <= names


@pytest.mark.parametrize("path", ALL_POLICIES, ids=lambda p: p.stem)
def test_every_bundled_policy_loads_without_problems(path: Path) -> None:
    loaded = load_policy(path)
    assert loaded.version and loaded.source == str(path)
    p = loaded.policy
    for plan in (p.chase.AM, p.chase.PM):
        if plan is not None:
            assert plan.step[-1].action == "alert_dsl"
            assert plan.vulnerable_step is None or plan.vulnerable_step[-1].action == "alert_dsl"
    assert len({w.minutes_open for w in p.registers}) == 1
    assert all(0 < w.minutes_open <= 30 for w in p.registers)


@pytest.mark.parametrize("school_id", SEED_SCHOOLS)
def test_a_seed_policy_file_is_named_after_its_school_id(school_id: str) -> None:
    assert policy(school_id).school.id == school_id


@pytest.mark.parametrize("school_id", SEED_SCHOOLS)
def test_no_seed_policy_relaxes_the_statutory_values(school_id: str) -> None:
    p = policy(school_id)
    assert p.la_duties.continuous_unauthorised_school_days == 10
    assert p.la_duties.sickness_school_days == 15
    assert p.la_duties.n_code_resolution_school_days == 5
    assert (p.legal.national_threshold_sessions, p.legal.national_threshold_school_weeks) == (
        10,
        10,
    )
    for rung in p.ladder:
        if rung.stage in ("formalise", "enforce") or "legal_action_proposal" in rung.actions:
            assert not rung.automatic, rung.id


def _model_keys(model: type[BaseModel], prefix: str = "") -> set[str]:
    """Every key a policy file may hold, as dotted paths (lists of tables flattened)."""
    keys = set()
    for name, field in model.model_fields.items():
        key = f"{prefix}{field.alias or name}"
        keys.add(key)
        for sub in _models_in(field.annotation):
            if sub is not StepTime:  # written as one string, "register_close + 30 min"
                keys |= _model_keys(sub, key + ".")
    return keys


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if get_origin(annotation) in (list, Union, types.UnionType):
        return [m for arg in get_args(annotation) for m in _models_in(arg)]
    return []


def _file_keys(value: Any, prefix: str = "") -> set[str]:
    keys = set()
    if isinstance(value, dict):
        for name, sub in value.items():
            keys.add(f"{prefix}{name}")
            keys |= _file_keys(sub, f"{prefix}{name}.")
    elif isinstance(value, list):
        for item in value:
            keys |= _file_keys(item, prefix)
    return keys


def _same_model(key: str) -> str:
    """AM/PM plans and step/vulnerable_step lists share one model: show its keys once."""
    return key.replace("chase.PM.", "chase.AM.").replace(".vulnerable_step.", ".step.")


def test_the_template_holds_every_key_of_the_schema() -> None:
    text = (POLICY_DIR / "template.toml").read_text(encoding="utf-8")
    schema = {_same_model(k) for k in _model_keys(Policy)}
    missing = schema - {_same_model(k) for k in _file_keys(tomllib.loads(text))}
    assert not missing, f"template.toml lacks {sorted(missing)}"
    assert {
        "chase.AM.vulnerable_step",
        "chase.PM",
        "ladder.after_any",
        "band.at_most_pct",
    } <= schema
    assert "chase.AM.step.reasonable_steps" in schema  # the walk recurses into lists of tables


# --- each seed's file says what its seed says ---------------------------------------------


def test_basildon_register_windows_follow_002_s3_6_and_s4_1() -> None:
    p = policy("basildon-lower")
    windows = {
        (year, session): (
            p.register_window(year, session).opens,
            p.register_window(year, session).closes,
        )
        for year in (7, 8, 9)
        for session in ("AM", "PM")
    }
    assert windows == {
        (9, "AM"): (time(8, 30), time(8, 45)),
        (8, "AM"): (time(9, 0), time(9, 15)),
        (7, "AM"): (time(9, 0), time(9, 15)),
        (9, "PM"): (time(13, 0), time(13, 15)),
        (8, "PM"): (time(13, 30), time(13, 45)),
        (7, "PM"): (time(14, 0), time(14, 15)),
    }


def test_basildon_scenario_21_a_y7_at_9_20_is_u_and_a_y9_at_13_10_is_l() -> None:
    p = policy("basildon-lower")
    assert mark_for_arrival(p, 7, "AM", time(9, 20)) == "U"
    assert mark_for_arrival(p, 9, "PM", time(13, 10)) == "L"


def test_basildon_first_day_calling_is_30_minutes_after_the_8_30_deadline() -> None:
    p = policy("basildon-lower")
    assert p.parent_reporting.deadline == time(8, 30)
    call = next(s for s in p.chase.AM.step if s.action == "call_primary")
    assert (call.at.anchor, call.at.minutes, call.at.not_before) == (
        "reporting_deadline",
        30,
        "register_close",
    )
    assert ("call_primary", time(9, 0)) in step_times(p, 9)
    # Years 7 and 8 are still registering at 9.00; calling waits for their close at 9.15.
    assert ("call_primary", time(9, 15)) in step_times(p, 7)


def test_basildon_medical_evidence_bands_and_ladder() -> None:
    p = policy("basildon-lower")
    assert p.medical_evidence.after_consecutive_school_days == 5
    assert p.medical_evidence.below_attendance_pct == 95.0
    persistent = p.band_named("persistent")
    assert persistent.contains(90.0) and not persistent.contains(90.01)  # DfE: absence >= 10%
    assert [r.id for r in p.ladder][:4] == [
        "concern_letter",
        "attendance_meeting",
        "support_plan",
        "attendance_contract",
    ]
    contract = p.ladder[3]
    assert (contract.stage, contract.automatic) == ("formalise", False)
    legal = p.ladder[-1]
    assert legal.on_national_threshold and "legal_action_proposal" in legal.actions


def test_kts_register_deadline_and_welfare_visit() -> None:
    p = policy("kts-academy")
    am = p.register_window(7, "AM")
    assert (am.opens, am.closes) == (time(9, 10), time(9, 30))
    assert p.register_window(7, "PM").minutes_open == 20
    assert p.parent_reporting.deadline == time(9, 0)
    assert [s.action for s in p.chase.AM.step] == [
        "call_primary",
        "call_others",
        "reasonable_steps",
        "alert_dsl",
    ]
    assert step_times(p, 10)[0] == ("call_primary", time(9, 30))
    visit = p.chase.AM.step[2]
    assert {"home_visit", "police"} <= set(visit.reasonable_steps)
    assert set(visit.by) == {"school_leader", "police"}
    assert {"social_worker", "yot"} <= set(p.chase.notify_worker_flags)
    assert p.legal.send_barriers_considered_before_sanction is True


def test_kts_tiers_and_reviews() -> None:
    p = policy("kts-academy")
    targeted, intensive, critical = (p.band_named(b) for b in ("targeted", "intensive", "critical"))
    assert (targeted.from_pct, targeted.below_pct) == (90.0, 95.0)
    assert (intensive.from_pct, intensive.below_pct) == (None, 90.0)
    assert critical.below_pct == 50.0
    rung = {r.id: r for r in p.ladder}
    assert rung["targeted"].band == "targeted" and "monitoring" in rung["targeted"].actions
    assert "weekly_updates" in rung["intensive"].actions
    assert {"daily_contact", "multi_agency_meeting"} <= set(rung["critical"].actions)
    assert p.reviews.review_every_school_weeks == 2
    assert p.reviews.monitoring_weeks == 4


def test_micklefield_ladder_order_letter_one_then_fast_track_letters() -> None:
    p = policy("micklefield")
    assert [r.id for r in p.ladder] == [
        "letter_one",
        "fast_track_1",
        "fast_track_2",
        "congratulations",
        "attendance_meeting",
        "fast_track_3",
        "penalty_notice",
    ]
    assert [r.letter for r in p.ladder[:3]] == [
        "micklefield/letter_one",
        "micklefield/fast_track_1",
        "micklefield/fast_track_2",
    ]
    assert p.ladder[1].instead_of == ["fast_track_2"] and p.ladder[2].instead_of == ["fast_track_1"]
    assert p.band_named(p.ladder[0].band or "").below_pct == 90.0
    assert p.ladder[5].letter == "micklefield/fast_track_3" and p.ladder[5].band == "below_80"


def test_micklefield_penalty_notice_is_a_threshold_gated_proposal_not_an_80_percent_rule() -> None:
    p = policy("micklefield")
    pn = p.ladder[-1]
    assert pn.band is None
    assert pn.on_national_threshold and not pn.automatic
    assert "legal_action_proposal" in pn.actions
    # Letters reach under-5s (003 Tier 2); the penalty-notice warning and PN do not.
    assert p.ladder[0].non_csa_pupils
    assert not p.ladder[5].non_csa_pupils and not pn.non_csa_pupils


def test_micklefield_registers_home_visits_and_la_duties() -> None:
    p = policy("micklefield")
    am, pm = p.register_window(3, "AM"), p.register_window(3, "PM")
    assert (am.opens, am.closes, pm.opens, pm.closes) == (
        time(8, 55),
        time(9, 25),
        time(13, 15),
        time(13, 45),
    )
    assert p.school.attendance_target_pct == 93.5
    assert p.home_visit.consecutive_school_days_absent == 3
    assert p.home_visit.school_days_without_medical_evidence == 5
    assert p.reviews.review_every_school_weeks == 2
    assert p.la_duties.cme_contact is not None and "cme@leeds.gov.uk" in p.la_duties.cme_contact
    assert p.lateness.letters == ["micklefield/lates_letter_1", "micklefield/lates_letter_2"]


def test_st_chads_lateness_register_and_level_letters() -> None:
    p = policy("st-john-bosco")
    assert p.school.name == "St Chad's Catholic Primary School"
    assert (p.lateness.more_than_per_half_term, p.lateness.more_than_per_term) == (3, 5)
    assert p.lateness.action == "meeting"
    assert p.register_window(2, "AM").closes == time(8, 50)
    assert [r.id for r in p.ladder][:4] == ["level_1", "level_2", "level_3", "level_4"]
    assert p.ladder[3].requires_meeting_missed and p.ladder[3].after == ["level_3"]
    assert all(p.band_named(r.band).below_pct == 90.0 for r in p.ladder[:3] if r.band)
    referral = next(r for r in p.ladder if r.id == "legal_referral")
    assert referral.on_national_threshold and not referral.automatic
    assert p.medical_evidence.after_consecutive_school_days == 3


# --- each kind of problem is reported, naming the key -------------------------------------


def test_a_register_open_35_minutes_is_refused() -> None:
    problems = problems_of(edited(('closes = "09:00"', 'closes = "09:15"')))
    assert has(problems, "register[1]:", "open 35 minutes", "at most 30")


def test_unequal_register_windows_are_refused() -> None:
    problems = problems_of(edited(('closes = "14:00"', 'closes = "13:50"')))
    assert has(problems, "register:", "[10, 20] minutes", "same time in every session")


def test_a_year_group_without_a_window_is_refused() -> None:
    text = edited(('opens = "08:40"\n', 'opens = "08:40"\nyear_groups = [5, 6, 7]\n'))
    assert has(problems_of(text), "register: no AM window for year group 8")


def test_a_20_day_la_return_is_refused() -> None:
    text = edited(
        ("continuous_unauthorised_school_days = 10", "continuous_unauthorised_school_days = 20")
    )
    assert has(problems_of(text), "la_duties.continuous_unauthorised_school_days: 20", "10")


def test_the_national_threshold_cannot_be_changed() -> None:
    text = edited(("national_threshold_school_weeks = 10", "national_threshold_school_weeks = 12"))
    assert has(problems_of(text), "legal:", "national threshold is fixed by law")


def test_an_8_week_notice_to_improve_is_refused() -> None:
    problems = problems_of(edited(("notice_to_improve_weeks = 4", "notice_to_improve_weeks = 8")))
    assert has(problems, "legal.notice_to_improve_weeks: 8", "3 to 6 weeks")


def test_an_unknown_key_is_refused_by_name() -> None:
    problems = problems_of(edited(("every_day = true", "every_dya = true")))
    assert problems == ["parent_reporting.every_dya: Extra inputs are not permitted"]


def test_a_bad_step_time_is_refused_by_name() -> None:
    problems = problems_of(edited(('at = "09:30"', 'at = "half past nine"')))
    assert has(problems, "chase.AM.step[4].at:", "'half past nine' is not a step time")


def test_a_toml_syntax_error_names_the_line() -> None:
    line = EMMANUEL.splitlines().index('deadline = "08:45"') + 1
    problems = problems_of(edited(('deadline = "08:45"', 'deadline = "08:45')))
    assert len(problems) == 1
    assert has(problems, "not valid TOML", f"line {line}")


def test_a_rung_naming_an_unknown_band_is_refused() -> None:
    problems = problems_of(edited(('band = "at_risk"', 'band = "at_rsik"')))
    assert has(problems, "ladder[1].band:", "'at_rsik' is not a band id")


def test_an_automatic_formalise_rung_is_refused() -> None:
    text = edited(
        (
            'actions = ["meeting", "attendance_contract", "la_referral"]\nautomatic = false',
            'actions = ["meeting", "attendance_contract", "la_referral"]\nautomatic = true',
        )
    )
    assert has(problems_of(text), "ladder[3].automatic:", "formalise")


def test_a_chase_that_does_not_end_with_the_dsl_is_refused() -> None:
    text = edited(('action = "alert_dsl"\nat = "10:00"', 'action = "call_others"\nat = "10:00"'))
    assert has(problems_of(text), "chase.AM.step:", "last step must be alert_dsl")


def test_every_legal_problem_in_a_file_is_reported_together() -> None:
    problems = problems_of(
        edited(
            ('closes = "14:00"', 'closes = "13:50"'),
            ('opens = "08:40"\n', 'opens = "08:40"\nyear_groups = [5, 6, 7]\n'),
            (
                "continuous_unauthorised_school_days = 10",
                "continuous_unauthorised_school_days = 20",
            ),
            ("national_threshold_school_weeks = 10", "national_threshold_school_weeks = 12"),
            ("notice_to_improve_weeks = 4", "notice_to_improve_weeks = 8"),
            ('band = "at_risk"', 'band = "at_rsik"'),
            (
                'actions = ["meeting", "attendance_contract", "la_referral"]\nautomatic = false',
                'actions = ["meeting", "attendance_contract", "la_referral"]\nautomatic = true',
            ),
        )
    )
    expected = [
        ("register:", "[10, 20] minutes"),
        ("register: no AM window for year group 8",),
        ("la_duties.continuous_unauthorised_school_days: 20",),
        ("legal:", "national threshold"),
        ("legal.notice_to_improve_weeks: 8",),
        ("ladder[1].band:", "at_rsik"),
        ("ladder[3].automatic:",),
    ]
    for fragments in expected:
        assert has(problems, *fragments), f"{fragments} not reported in {problems}"


def test_every_structural_problem_in_a_file_is_reported_together() -> None:
    problems = problems_of(
        edited(
            ("every_day = true", "every_dya = true"),
            ('at = "09:30"', 'at = "half past nine"'),
            ("below_pct = 95.0", "below_pct = 150.0"),
            ('stage = "facilitate"', 'stage = "support"'),
        )
    )
    assert len(problems) == 4, problems
    assert has(problems, "parent_reporting.every_dya:")
    assert has(problems, "chase.AM.step[4].at:")
    assert has(problems, "band[1].below_pct:")
    assert has(problems, "ladder[2].stage:")


# --- the fields added for the seeds -------------------------------------------------------


def test_a_step_time_can_wait_for_a_later_anchor() -> None:
    at = StepTime.model_validate("reporting_deadline + 30 min, not before register_close")
    anchors = {"register_open": time(9, 0), "reporting_deadline": time(8, 30)}
    assert at.resolve({**anchors, "register_close": time(8, 45)}) == time(9, 0)
    assert at.resolve({**anchors, "register_close": time(9, 15)}) == time(9, 15)
    assert str(at) == "reporting_deadline + 30 min, not before register_close"


def test_a_band_cannot_have_both_upper_bounds() -> None:
    problems = problems_of(edited(("below_pct = 90.0", "below_pct = 90.0\nat_most_pct = 90.0")))
    assert has(problems, "band[2]: give below_pct or at_most_pct, not both")


def test_legal_rungs_cannot_reach_pupils_below_school_age() -> None:
    text = edited(
        (
            'actions = ["legal_action_proposal"]',
            'actions = ["legal_action_proposal"]\nnon_csa_pupils = true',
        )
    )
    assert has(problems_of(text), "ladder[4].non_csa_pupils:", "compulsory school age")


def test_a_missed_meeting_rung_must_follow_a_meeting() -> None:
    text = edited(
        (
            'after = ["further_action"]',
            'after = ["standard_letter"]\nrequires_meeting_missed = true',
        )
    )
    assert has(problems_of(text), "ladder[4].requires_meeting_missed:")


def test_after_any_and_instead_of_must_name_rungs() -> None:
    text = edited(
        ('after = ["further_action"]', 'after_any = ["further_actoin"]\ninstead_of = ["nope"]')
    )
    problems = problems_of(text)
    assert has(problems, "ladder[4]: refers to 'further_actoin'")
    assert has(problems, "ladder[4]: refers to 'nope'")


def test_scenario_21_basildon_arrival_marks_follow_the_chosen_windows() -> None:
    """Spec §8.21: a Y7 pupil at 9.20am is U (close 9.15 chosen); a Y9 pupil at 13.10 is L."""
    from school.arrival import register_mark_for_arrival

    basildon = load_policy(POLICY_DIR / "basildon-lower.toml").policy
    assert register_mark_for_arrival(basildon, 7, "AM", time(9, 20)) == ("U", 20)
    assert register_mark_for_arrival(basildon, 7, "AM", time(9, 15)) == ("L", 15)
    assert register_mark_for_arrival(basildon, 9, "PM", time(13, 10)) == ("L", 10)
    assert register_mark_for_arrival(basildon, 9, "PM", time(13, 16)) == ("U", 16)
    assert register_mark_for_arrival(basildon, 8, "AM", time(8, 55)) == ("/", None)
    assert register_mark_for_arrival(basildon, 7, "PM", time(14, 0)) == ("\\", None)
