"""Unexpected errors: the traceback to a log file, scrubbed of message bodies and numbers."""

from __future__ import annotations

import os
import re
import traceback
from datetime import UTC, datetime
from pathlib import Path

from school.private_files import open_private, private_folder

LOG_NAME = "errors.log"
_CAUSE = "The above exception was the direct cause of the following exception:"
_CONTEXT = "During handling of the above exception, another exception occurred:"

# A phone number in any usual shape (07700 900123, +44 7700 900123, 0044-7700-900123).
_PHONE = re.compile(r"(?<![\w.])\+?[0-9](?:[ ()-]?[0-9]){8,14}(?![\w.])")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Quoted text longer than an id or a code is most likely a message, a note or a name.
_QUOTED = re.compile(r"""(['"])(?:(?!\1).){13,}?\1""", re.DOTALL)


def log_path(environ: os._Environ[str] | dict[str, str] = os.environ) -> Path:
    """$XDG_STATE_HOME/attendance/errors.log, else ~/.local/state/attendance/errors.log."""
    base = environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "attendance" / LOG_NAME


def scrub(text: str, *, quoted: bool = True) -> str:
    """The text with phone numbers, email addresses and (in messages) quoted passages replaced."""
    if quoted:
        text = _QUOTED.sub(lambda m: f"{m[1]}<{len(m[0]) - 2} characters>{m[1]}", text)
    text = _EMAIL.sub("<email>", text)
    return _PHONE.sub("<phone number>", text)


def _report(te: traceback.TracebackException) -> list[str]:
    """Each exception in the chain: its frames as they are, its message scrubbed."""
    lines: list[str] = []
    if te.__cause__ is not None:
        lines += [*_report(te.__cause__), f"\n{_CAUSE}\n\n"]
    elif te.__context__ is not None and not te.__suppress_context__:
        lines += [*_report(te.__context__), f"\n{_CONTEXT}\n\n"]
    lines.append("Traceback (most recent call last):\n")
    lines += [scrub(frame, quoted=False) for frame in te.stack.format()]
    lines += [scrub(part) for part in te.format_exception_only()]
    return lines


def write_crash(exc: BaseException, command: str, path: Path | None = None) -> Path:
    """Append one scrubbed report to the log; the command is its name, never its arguments."""
    target = path or log_path()
    private_folder(target.parent)  # tracebacks can carry a pupil's details
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    with open_private(target, "a") as log:
        log.write(f"--- {stamp} {command}\n")
        log.writelines(_report(traceback.TracebackException.from_exception(exc)))
    return target
