"""Timing whole processes for the benchmarks: our command against its floor, median of 5."""

from __future__ import annotations

import compileall
import os
import statistics
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter

# The engine's packages, as pyproject.toml lists them.
PACKAGES = ("school", "state_machines", "notifications", "chase", "cases", "flows", "web", "cli",
            "demo", "migrations")  # fmt: skip


def compile_our_code(root: Path) -> None:
    """Byte-compile the engine once, as installing it does: where PYTHONDONTWRITEBYTECODE is set
    (as on this machine), every run would otherwise compile our modules from source again, a
    cost no installed copy pays and the floors, all standard library, never pay."""
    for package in PACKAGES:
        compileall.compile_dir(root / package, quiet=1)


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_rss_mb: float


def run_process(argv: Sequence[str], env: dict[str, str] | None = None) -> Run:
    """One whole process, its wall time and its peak resident memory (from wait4's rusage)."""
    start = perf_counter()
    process = subprocess.Popen(
        list(argv), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        error = process.stderr.read().decode() if process.stderr else ""
        raise RuntimeError(f"{' '.join(argv)} failed ({process.returncode}): {error[-2000:]}")
    if process.stderr:
        process.stderr.close()
    return Run(seconds, usage.ru_maxrss / 1024)  # Linux gives kilobytes


@dataclass(frozen=True)
class Figures:
    runs: list[Run]

    @property
    def median(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    @property
    def spread(self) -> str:
        times = [r.seconds for r in self.runs]
        return f"{min(times):.3f}-{max(times):.3f}"

    @property
    def peak_mb(self) -> float:
        return max(r.peak_rss_mb for r in self.runs)


def compare(
    name: str,
    ours: Sequence[str],
    floor: Sequence[str],
    *,
    repeat: int = 5,
    before_each: Callable[[], None] = lambda: None,
    env: dict[str, str] | None = None,
) -> tuple[Figures, Figures]:
    """Ours and the floor, interleaved so a busy moment hits both alike."""
    our_runs, floor_runs = [], []
    for _ in range(repeat):
        before_each()
        our_runs.append(run_process(ours, env))
        before_each()
        floor_runs.append(run_process(floor, env))
    return Figures(our_runs), Figures(floor_runs)


def floor_over_goal(floor: float, goal: float | None, unit: str = "s") -> str:
    """A line for a row whose floor alone takes longer than the row's time goal on this
    machine (a slower machine than the goal was set on): no engine meets that time here, and
    the ratio is the figure that compares. Empty when the floor is within the goal."""
    if goal is None or floor <= goal:
        return ""
    return (
        f"  (the floor alone takes {floor:.3g} {unit}, over the {goal:g} {unit} goal, on this "
        "machine: that time cannot be met here; the ratio is the comparable figure)"
    )


def report(
    name: str,
    ours: Figures,
    floor: Figures,
    goal_ratio: float | None,
    goal_seconds: float | None = None,
) -> bool:
    """Print one row: median and spread of each, the ratio, peak RSS; True if the goal holds
    (a ratio, a time, or both; a row with neither prints its ratio for information)."""
    ratio = ours.median / floor.median
    met = (goal_ratio is None or ratio <= goal_ratio) and (
        goal_seconds is None or ours.median <= goal_seconds
    )
    parts = [f"<= {goal_ratio:g}x floor"] if goal_ratio is not None else []
    parts += [f"<= {goal_seconds:g} s"] if goal_seconds is not None else []
    goal = " and ".join(parts) or "none (for information)"
    print(f"{name}")
    print(
        f"  ours   median {ours.median:.3f} s (spread {ours.spread} s, n={len(ours.runs)}), "
        f"peak RSS {ours.peak_mb:.0f} MB"
    )
    print(
        f"  floor  median {floor.median:.3f} s (spread {floor.spread} s, n={len(floor.runs)}), "
        f"peak RSS {floor.peak_mb:.0f} MB"
    )
    print(f"  ratio  {ratio:.2f}x   goal {goal}: {'met' if met else 'NOT met'}")
    if note := floor_over_goal(floor.median, goal_seconds):
        print(note)
    return met
