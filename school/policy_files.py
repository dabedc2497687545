"""Policy files: read a school's TOML, validate its shape and the law, and fix its version."""

from __future__ import annotations

import hashlib
import re
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from school.errors import InputError, key_path, pydantic_problems
from school.policy import Policy
from school.policy_law import policy_problems

# The seed policies are 10-20 kB with their comments; 256 kB leaves room for any real school.
MAX_POLICY_BYTES = 256 * 1024


def control_character_problems(raw: object, path: tuple[int | str, ...] = ()) -> list[str]:
    """Every text value holding a control character (tab and newline allowed), by its key."""
    if isinstance(raw, dict):
        return [p for k, v in raw.items() for p in control_character_problems(v, (*path, k))]
    if isinstance(raw, list):
        return [p for i, v in enumerate(raw) for p in control_character_problems(v, (*path, i))]
    if isinstance(raw, str) and _CONTROL.search(raw):
        return [f"{key_path(path)}: contains a control character; write plain text"]
    return []


def _refuse_if_too_large(size: int, source: str) -> None:
    if size > MAX_POLICY_BYTES:
        limit = f"at most {MAX_POLICY_BYTES:,}"
        raise InputError(source, [f"{size:,} bytes is too large for a policy file ({limit})"])


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class LoadedPolicy(BaseModel):
    """A validated policy with where it came from and its version (content hash)."""

    model_config = ConfigDict(frozen=True)
    policy: Policy
    source: str
    text: str
    version: str


def policy_version(text: str) -> str:
    """The content hash every decision records, so a decision can be traced to its rules."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def parse_policy(text: str, source: str) -> LoadedPolicy:
    """Validate policy text: size, structure, then the law and internal consistency.

    Raises InputError listing every problem found, each naming the key.
    """
    _refuse_if_too_large(len(text.encode("utf-8")), source)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(source, [f"not valid TOML: {exc}"]) from exc
    controls = control_character_problems(raw)
    if controls:
        raise InputError(source, controls)
    try:
        policy = Policy.model_validate(raw)
    except ValidationError as exc:
        raise InputError(source, pydantic_problems(exc)) from exc
    problems = policy_problems(policy)
    if problems:
        raise InputError(source, problems)
    return LoadedPolicy(policy=policy, source=source, text=text, version=policy_version(text))


def load_policy(path: str | Path) -> LoadedPolicy:
    path = Path(path)
    try:
        # Refused before it is read: a policy is a few pages, never megabytes.
        _refuse_if_too_large(path.stat().st_size, str(path))
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(str(path), [f"cannot read the file: {exc.strerror}"]) from exc
    except UnicodeDecodeError as exc:
        raise InputError(str(path), [f"not UTF-8 text (byte {exc.start})"]) from exc
    return parse_policy(text, str(path))


POLICY_DIR = Path(__file__).resolve().parent.parent / "policies"


def bundled_policy(school_id: str) -> Path:
    """The path of a seed school's policy shipped in policies/."""
    return POLICY_DIR / f"{school_id}.toml"
