"""The one error type for bad input files: it names the file and lists every problem."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError


class InputError(ValueError):
    """A file (policy, calendar, register CSV) was refused; `problems` holds every reason."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))

    def lines(self) -> list[str]:
        """Each problem prefixed with the file, as staff will read it."""
        return [p if p.startswith(self.source) else f"{self.source}: {p}" for p in self.problems]


def key_path(loc: tuple[int | str, ...]) -> str:
    """A pydantic error location as the TOML key a person would look for: `term[2].end`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            out += ("." if out else "") + part
    return out or "(top level)"


def pydantic_problems(exc: ValidationError) -> list[str]:
    """One line per validation error, naming the key and the problem."""
    problems = []
    for err in exc.errors():
        # Tagged unions and validators add their own parts to the location; keep the keys.
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        message = err["msg"].removeprefix("Value error, ")
        # Whole-file checks already name their keys in the message.
        problems.append(f"{key_path(loc)}: {message}" if loc else message)
    return problems
