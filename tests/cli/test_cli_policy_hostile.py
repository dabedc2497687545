"""`policy check` against hostile and careless policy files: one clear line per problem, never a
traceback, whatever the values."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from cli.main import app
from school.policy_files import MAX_POLICY_BYTES, POLICY_DIR

runner = CliRunner()
SEEDS = sorted(p for p in POLICY_DIR.glob("*.toml") if p.name != "template.toml")
# A `key = value` line of a policy, whose value the fuzzer replaces.
ASSIGNMENT = re.compile(r"^(\s*[A-Za-z_][\w.]*\s*=\s*)(.+)$", re.MULTILINE)
TOML_VALUES = st.one_of(
    st.sampled_from(
        [
            '""',
            '"25:99"',
            '"24:00"',
            '"00:00"',
            '"23:59"',
            '"08:40:00+01:00"',
            "08:40:00",
            "-1",
            "0",
            "1000000000",
            "1.5",
            "nan",
            "true",
            "[]",
            "{}",
            '["x"]',
            '"register_close + 100000 min"',
            '"register_close, not before register_open"',
            '"Zoe [/] Smith"',
            '":100:"',
            '"\\u0000"',
            '"\\u001b[31m"',
            "1979-05-27",
        ]
    ),
    st.text(max_size=30).map(lambda t: '"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"'),
    st.integers().map(str),
)


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # short relative names, so rich never folds a problem's line


def check(path: Path) -> Result:
    return runner.invoke(app, ["policy", "check", path.name])


def assert_clear_refusal(result: Result, path: Path) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    problems = [line for line in result.stderr.splitlines() if line.startswith("  ")]
    assert problems and all(line.strip().startswith(path.name + ":") for line in problems)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_any_value_anywhere_is_a_clear_answer(data: st.DataObject, tmp_path: Path) -> None:
    seed = data.draw(st.sampled_from(SEEDS))
    text = seed.read_text()
    lines = list(ASSIGNMENT.finditer(text))
    for _ in range(data.draw(st.integers(1, 3))):
        match = data.draw(st.sampled_from(lines))
        value = data.draw(TOML_VALUES)
        text = text.replace(match.group(0), match.group(1) + value, 1)
    path = tmp_path / "fuzzed.toml"
    path.write_text(text)

    result = check(path)

    assert "Traceback" not in result.output and "internal error" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1)
    if result.exit_code == 1:
        assert_clear_refusal(result, path)


def replaced(seed: Path, old: str, new: str, tmp_path: Path) -> Path:
    text = seed.read_text()
    assert old in text, old
    path = tmp_path / seed.name
    path.write_text(text.replace(old, new, 1))
    return path


EMMANUEL = POLICY_DIR / "emmanuel-middle.toml"
DSL = 'dsl = { role = "Designated Safeguarding Lead" }'


@pytest.mark.parametrize(
    ("new", "expected"),
    [
        (
            'dsl = { role = "DSL", mobile = "01202 828100" }',
            "safeguarding.dsl.mobile: '01202 828100' is not a mobile number",
        ),
        (
            'dsl = { role = "DSL", mobile = "+44 7700 9001" }',
            "safeguarding.dsl.mobile: '+44 7700 9001' is not a valid phone number",
        ),
        (
            'dsl = { role = "DSL", email = "dsl at school" }',
            "safeguarding.dsl.email: 'dsl at school' is not an email address",
        ),
        (
            'dsl = { role = "DSL\\u0007" }',
            "safeguarding.dsl.role: contains a control character",
        ),
    ],
    ids=["landline", "short-mobile", "email", "control-character"],
)
def test_the_dsls_contact_details_must_reach_them(new: str, expected: str, tmp_path: Path) -> None:
    path = replaced(EMMANUEL, DSL, new, tmp_path)
    result = check(path)
    assert_clear_refusal(result, path)
    assert expected in " ".join(result.stderr.split())


def test_a_dsl_with_a_real_mobile_and_email_is_accepted(tmp_path: Path) -> None:
    new = 'dsl = { role = "DSL", mobile = "07700 900123", email = "dsl@example.sch.uk" }'
    result = check(replaced(EMMANUEL, DSL, new, tmp_path))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('at = "09:00"', 'at = "register_close + 5000 min"', "less than or equal to 1440"),
        ('at = "09:00"', "at = {}", "give either a clock time or an anchor"),
        ('opens = "08:40"', 'opens = "08:40:00+01:00"', "without an offset"),
        ('opens = "08:40"', "opens = 08:40:30", "hours and minutes only"),
    ],
    ids=["past-midnight", "empty-step", "offset", "seconds"],
)
def test_times_are_wall_clock_minutes_within_the_day(
    old: str, new: str, expected: str, tmp_path: Path
) -> None:
    path = replaced(EMMANUEL, old, new, tmp_path)
    result = check(path)
    assert_clear_refusal(result, path)
    assert expected in " ".join(result.stderr.split())


def test_an_oversized_policy_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "huge.toml"
    path.write_text(EMMANUEL.read_text() + "#" * MAX_POLICY_BYTES)
    result = check(path)
    assert_clear_refusal(result, path)
    assert "too large for a policy file" in " ".join(result.stderr.split())


def test_a_policy_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(EMMANUEL.read_text().replace("Emmanuel", "Emmanüel").encode("latin-1"))
    result = check(path)
    assert_clear_refusal(result, path)
    assert "not UTF-8" in result.stderr
