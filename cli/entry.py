"""The `attendance` program: the quick statistics path when it applies, else the full command."""

from __future__ import annotations

import sys

from cli.stats_quick import quick_stats_json


def main() -> None:
    argv = sys.argv[1:]
    try:
        answer = quick_stats_json(argv)
    except Exception:  # a slip here costs speed, never an answer: the full command runs
        answer = None
    if answer is None:
        from cli.main import app

        app(prog_name="attendance")
        return
    try:
        sys.stdout.write(answer)
        sys.stdout.flush()
    except BrokenPipeError:
        from cli.door import SIGPIPE_EXIT, quiet_stdout

        quiet_stdout()
        raise SystemExit(SIGPIPE_EXIT) from None


if __name__ == "__main__":
    main()
