"""Policy files: read a school's TOML, validate its shape and the law, and fix its version."""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from school.errors import InputError, pydantic_problems
from school.policy import Policy
from school.policy_law import policy_problems


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
    """Validate policy text: structure first, then the law and internal consistency.

    Raises InputError listing every problem found, each naming the key.
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(source, [f"not valid TOML: {exc}"]) from exc
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
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(str(path), [f"cannot read the file: {exc.strerror}"]) from exc
    return parse_policy(text, str(path))


POLICY_DIR = Path(__file__).resolve().parent.parent / "policies"


def bundled_policy(school_id: str) -> Path:
    """The path of a seed school's policy shipped in policies/."""
    return POLICY_DIR / f"{school_id}.toml"
