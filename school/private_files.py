"""Files about children only their owner can read: 0600 files, 0700 folders (UK GDPR art. 32)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def private_folder(path: Path) -> None:
    """Make the folder (and missing parents) 0700; a folder already there is left as it is,
    since it may be one the school chose and shares on purpose."""
    path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)


def private_file(path: Path) -> None:
    """Create the file 0600 if it is not there yet, and make it 0600 if it is: the mode is set
    at creation (no moment when others could open it), not by umask."""
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, FILE_MODE))
    os.chmod(path, FILE_MODE)


def open_private(path: Path, mode: str = "w", encoding: str | None = "utf-8") -> IO[str]:
    """A file opened for writing ("w") or appending ("a") that only its owner can read."""
    private_file(path)
    return path.open(mode, encoding=encoding)


def write_private(path: Path, data: bytes | str) -> None:
    """Write a whole file (a letter, an evidence pack) only its owner can read."""
    private_file(path)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
