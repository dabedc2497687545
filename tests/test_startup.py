"""A quick command line: help and argument errors load neither the database nor the engine.

Each case runs the real entry point in a fresh interpreter under `python -X importtime`, which
lists every module the process imported; what a command does not need must not be there.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# The database layer, the flows, PDF and templates: none is needed to say what a command takes.
HEAVY = ("sqlalchemy", "sqlmodel", "prefect", "reportlab", "jinja2", "alembic")
# What help never needs since it is plain text (cli/main.py): rich itself, and Typer's rich help
# renderer, which loads markdown-it, pygments and rich's traceback.
RICH = ("rich", "typer.rich_utils", "markdown_it", "pygments")
# The program as installed: `attendance = "cli.entry:main"` in pyproject.toml.
ENTRY = "from cli.entry import main; main()"

HELP = [
    ["--help"],
    ["import", "--help"],
    ["stats", "--help"],
    ["case", "--help"],
    ["case", "show", "--help"],
    ["legal", "--help"],
    ["duties", "expect-illness", "--help"],
    ["letters", "--help"],
    ["chase", "--help"],
    ["arrive", "--help"],
]
# Arguments the parsing layer refuses before anything is opened (exit 2, one line).
BAD_ARGUMENTS = [
    ["stats", "--school", "emmanuel-middle", "--as-of", "23/11/2025"],
    ["arrive", "X", "--school", "emmanuel-middle", "--at", "25:00"],
    ["import", "--school", "emmanuel-middle", "--by", "nobody"],
    ["case", "show", "not-a-upn"],
    ["stats"],  # a required option missing: click's own usage error
]


def imported_modules(
    args: list[str], tmp_path: Path
) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    env = {**os.environ, "ATTENDANCE_DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}"}
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", ENTRY, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    return modules, done


def heavy_in(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY)


@pytest.mark.parametrize("args", HELP, ids=" ".join)
def test_help_imports_no_database_templates_or_flows(args: list[str], tmp_path: Path) -> None:
    modules, done = imported_modules(args, tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Usage" in done.stdout
    assert heavy_in(modules) == []
    assert rich_in(modules) == []
    assert not (tmp_path / "none.db").exists()


def rich_in(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == r or m.startswith(r + ".") for r in RICH))


def test_help_lists_every_summary_whole(tmp_path: Path) -> None:
    """Plain help wraps a long summary instead of cutting it short with "..." as click would."""
    _, done = imported_modules(["case", "--help"], tmp_path)
    listed = " ".join(done.stdout.split("Commands:", 1)[1].split())
    assert "..." not in listed
    assert "Record why support is not appropriate (e.g." in listed
    assert all(len(line) <= 80 for line in done.stdout.splitlines())


def test_the_installed_program_is_the_entry_checked_here() -> None:
    pyproject = (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text()
    assert 'attendance = "cli.entry:main"' in pyproject


@pytest.mark.parametrize("args", BAD_ARGUMENTS, ids=" ".join)
def test_a_bad_argument_is_refused_before_the_database_is_touched(
    args: list[str], tmp_path: Path
) -> None:
    modules, done = imported_modules(args, tmp_path)
    assert done.returncode == 2, done.stderr[-2000:]
    errors = [line for line in done.stderr.splitlines() if not line.startswith("import time:")]
    assert len(errors) == 1 and errors[0].startswith("Error:"), errors
    assert heavy_in(modules) == []
    assert not (tmp_path / "none.db").exists()


def test_the_check_sees_a_heavy_import(tmp_path: Path) -> None:
    """The test above can fail: a command that opens the database does import SQLAlchemy."""
    modules, done = imported_modules(["stats", "--school", "nowhere"], tmp_path)
    assert done.returncode != 0
    assert "sqlalchemy" in heavy_in(modules)


def test_help_is_quick(tmp_path: Path) -> None:
    """`attendance --help` costs no more CPU time than a bare Typer app (best of 5 each).
    CPU time, not wall time, so other work on the machine does not decide the test. Ours is
    plain help without rich (about 0.10 s of CPU); the bare app's rich help about 0.13 s. It was
    1.5-2 s before the commands loaded lazily, and 0.19 s before help became plain."""
    bare = "import typer\napp = typer.Typer()\n@app.command()\ndef a(x: int = 1) -> None:\n    '''A.'''\n@app.command()\ndef b(x: int = 1) -> None:\n    '''B.'''\napp()\n"  # noqa: E501

    def best(code: str) -> float:
        times = []
        for _ in range(5):
            child = subprocess.Popen(
                [sys.executable, "-c", code, "--help"], stdout=subprocess.DEVNULL
            )
            _, status, usage = os.wait4(child.pid, 0)
            child.returncode = os.waitstatus_to_exitcode(status)
            assert child.returncode == 0
            times.append(usage.ru_utime + usage.ru_stime)
        return min(times)

    ours, floor = best(ENTRY), best(bare)
    assert ours <= floor, f"attendance --help {ours:.3f} s CPU, a bare Typer app {floor:.3f} s"
