"""Dependency audit that says what it could see: pip-audit only where its database answers.

pip-audit asks PyPI's JSON API for each installed release's known vulnerabilities; with no
route to it (a mirror answering 404, no network) it reports "No known vulnerabilities found"
for packages it never checked. So first ask the same service about a release with a known,
published vulnerability (the canary); only if that answer names it is the audit run, and a
finding fails CI. Otherwise say plainly that nothing was checked.

Usage: python .ci/audit.py [--probe-url URL] [--audit-command CMD]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shlex
import subprocess
import sys
import urllib.error
import urllib.request

# requests 2.19.0 leaked Authorization headers on redirect: CVE-2018-18074 / PYSEC-2018-28.
CANARY_URL = "https://pypi.org/pypi/requests/2.19.0/json"
CANARY_ID = "PYSEC-2018-28"
UNREACHABLE = "vulnerability database unreachable: not checked"
DEFAULT_COMMAND = (
    f"{shlex.quote(sys.executable)} -m pip_audit --skip-editable --progress-spinner off"
)


def _has_pip_audit() -> bool:
    return importlib.util.find_spec("pip_audit") is not None


def database_answers(probe_url: str, timeout_s: float = 10.0) -> tuple[bool, str]:
    """Whether the vulnerability service names the canary's known vulnerability, and why not."""
    try:
        with urllib.request.urlopen(probe_url, timeout=timeout_s) as response:
            document = json.load(response)
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as problem:
        return False, f"{probe_url}: {problem}"
    vulnerabilities = document.get("vulnerabilities") if isinstance(document, dict) else None
    if not isinstance(vulnerabilities, list):
        return False, f"{probe_url}: the answer lists no vulnerabilities at all"
    known = {v.get("id") for v in vulnerabilities if isinstance(v, dict)}
    known |= {a for v in vulnerabilities if isinstance(v, dict) for a in v.get("aliases") or []}
    if CANARY_ID not in known:
        return False, f"{probe_url}: the answer does not name {CANARY_ID}"
    return True, ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probe-url", default=CANARY_URL)
    parser.add_argument("--audit-command", default=DEFAULT_COMMAND)
    args = parser.parse_args(argv)
    reachable, why = database_answers(args.probe_url)
    if not reachable:
        print(f"audit: {UNREACHABLE} ({why})")
        return 0
    print("audit: vulnerability database answers; running pip-audit")
    if args.audit_command == DEFAULT_COMMAND and not _has_pip_audit():
        # Installed only here: no point in every developer's venv carrying it unreachable.
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "pip-audit"], check=True)
    return subprocess.run(shlex.split(args.audit_command), check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
