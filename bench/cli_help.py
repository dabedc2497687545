"""`attendance --help` against a bare Typer app with two commands (issue 12, first row)."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from bench.process_common import compare, compile_our_code, report

BARE_TYPER = '''import typer
app = typer.Typer()
@app.command()
def a(x: int = 1) -> None:
    """A."""
@app.command()
def b(x: int = 1) -> None:
    """B."""
app()
'''
GOAL_SECONDS = 0.25
# The program as installed: pyproject.toml's `attendance = "cli.entry:main"`.
ENTRY = "from cli.entry import main; main()"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    compile_our_code(Path(__file__).resolve().parent.parent)
    with tempfile.TemporaryDirectory() as folder:
        bare = Path(folder) / "bare_typer.py"
        bare.write_text(BARE_TYPER, encoding="utf-8")
        ours, floor = compare(
            "help",
            [sys.executable, "-c", ENTRY, "--help"],
            [sys.executable, str(bare), "--help"],
            repeat=args.repeat,
        )
    # The goal is absolute (0.25 s); the ratio is printed to show how much is ours.
    met = report("attendance --help (floor: a bare Typer app)", ours, floor, 10.0, GOAL_SECONDS)
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
