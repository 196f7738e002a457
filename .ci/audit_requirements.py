#!/usr/bin/env python3
"""Known vulnerabilities in the pinned requirements, for CI (.ci/run) and by hand.

    .venv/bin/python .ci/audit_requirements.py [requirements.txt requirements-dev.txt]

Runs pip-audit on the pinned, hashed files with --disable-pip (the exact versions are in
the files: nothing is installed or downloaded), asking each advisory source in turn (the
PyPI advisory data, then OSV) until one answers for the packages. It prints one plain last
line and exits:

- 0 "Vulnerability audit: no known vulnerabilities in N pinned packages (source: ...)";
  a source that answers for only some packages lists the others as not checked.
- 1 "Vulnerability audit: FAILED, N known vulnerabilities ..." for any vulnerability
  not in the ignore list (.ci/audit-ignore.txt: "<id> <reason>" a line, the reason
  required), after one line for each with the fix version when there is one.
- 0 "Vulnerability audit: not checked (no advisory source reachable)" when no source
  could be reached or none had data for the packages (a PyPI that answers 404 for every
  package, as a mirror without the JSON API does, is no answer: pip-audit alone would say
  "No known vulnerabilities found"); with AUDIT_REQUIRED=1 that fails (exit 1).
- 1 "Vulnerability audit: FAILED, pip-audit did not run" for anything else (a bad
  requirements file, a missing pip-audit, a bad ignore list).

docs/security.md, "Supply chain", has the policy. The environment, for tests and odd set-ups:
PIP_AUDIT (the executable; default: pip-audit next to this Python, else on PATH),
AUDIT_SOURCES (default "pypi,osv"), AUDIT_OSV_URL, AUDIT_TIMEOUT (seconds, default 15),
AUDIT_IGNORE_FILE (default .ci/audit-ignore.txt), AUDIT_REQUIRED.

Standard library only: it runs before anything else is trusted.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILES = ["requirements.txt", "requirements-dev.txt"]
DEFAULT_SOURCES = "pypi,osv"
DEFAULT_OSV_URL = "https://api.osv.dev/v1/query"
SOURCE_NAMES = {"pypi": "PyPI advisory data", "osv": "OSV"}
PREFIX = "Vulnerability audit:"
NOT_CHECKED = f"{PREFIX} not checked (no advisory source reachable)"

# What pip-audit prints when it cannot reach a source (requests' and urllib3's errors and
# pip-audit's own ServiceError for a 5xx): the source is unreachable, not the audit broken.
UNREACHABLE = re.compile(
    r"ConnectionError|ConnectTimeout|ReadTimeout|Timeout|NameResolutionError|"
    r"NewConnectionError|MaxRetryError|ProxyError|SSLError|ServiceError|"
    r"Could not connect|Connection refused|Temporary failure in name resolution"
)


class AuditError(Exception):
    """The audit itself could not run: a CI failure, never "not checked"."""


@dataclass
class Answer:
    """What one source said: pip-audit's JSON report, read."""

    source: str
    audited: list[dict] = field(default_factory=list)  # {"name", "version", "vulns"}
    skipped: list[dict] = field(default_factory=list)  # {"name", "skip_reason"}

    @property
    def vulnerabilities(self) -> list[tuple[dict, dict]]:
        return [(dep, vuln) for dep in self.audited for vuln in dep.get("vulns", [])]


def read_ignores(path: Path) -> dict[str, str]:
    """The ignore list: vulnerability id -> why. A line without a reason is an error."""
    if not path.exists():
        return {}
    ignores = {}
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        vuln_id, _sep, reason = line.partition(" ")
        if not reason.strip():
            raise AuditError(f"{path.name} line {number}: {vuln_id} has no reason")
        ignores[vuln_id] = reason.strip()
    return ignores


def pip_audit_command() -> str:
    if os.environ.get("PIP_AUDIT"):
        return os.environ["PIP_AUDIT"]
    beside = Path(sys.executable).parent / "pip-audit"
    if beside.exists():
        return str(beside)
    found = shutil.which("pip-audit")
    if found is None:
        raise AuditError("pip-audit is not installed (it is in requirements-dev.txt)")
    return found


def ask(source: str, files: list[str], ignores: dict[str, str]) -> Answer | str:
    """Run pip-audit against one source: its Answer, or why it could not be reached."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        command = [
            pip_audit_command(),
            "--disable-pip",
            "--progress-spinner=off",
            "--format=json",
            f"--output={report}",
            f"--timeout={os.environ.get('AUDIT_TIMEOUT', '15')}",
            f"--vulnerability-service={source}",
        ]
        if source == "osv":
            command.append(f"--osv-url={os.environ.get('AUDIT_OSV_URL', DEFAULT_OSV_URL)}")
        for name in files:
            command += ["--requirement", name]
        for vuln_id in ignores:
            command += ["--ignore-vuln", vuln_id]
        try:
            run = subprocess.run(  # noqa: S603 - our own command line, no shell
                command, capture_output=True, text=True, timeout=30 * 60, check=False
            )
        except OSError as error:
            raise AuditError(f"pip-audit did not start: {error}") from error
        if report.exists():
            return _answer(source, report)
    errors = run.stderr.strip().splitlines() or [f"exit status {run.returncode}"]
    if UNREACHABLE.search(run.stderr):
        return errors[-1]
    raise AuditError("pip-audit failed:\n    " + "\n    ".join(errors[-5:]))


def _answer(source: str, report: Path) -> Answer:
    try:
        dependencies = json.loads(report.read_text())["dependencies"]
    except (ValueError, KeyError, TypeError) as error:
        raise AuditError(f"pip-audit wrote a report this script cannot read: {error}") from error
    answer = Answer(source)
    for dep in dependencies:
        (answer.skipped if "skip_reason" in dep else answer.audited).append(dep)
    return answer


def _vulnerability_line(dep: dict, vuln: dict) -> str:
    aliases = [alias for alias in vuln.get("aliases", []) if alias != vuln["id"]]
    names = vuln["id"] + (f" ({', '.join(aliases)})" if aliases else "")
    fixes = vuln.get("fix_versions") or []
    fixed = f"fixed in {', '.join(fixes)}" if fixes else "no fixed version yet"
    return f"  {dep['name']} {dep['version']}: {names}, {fixed}"


def report(answer: Answer, ignores: dict[str, str]) -> int:
    """Print what the answering source said; the exit status."""
    source = f"source: {SOURCE_NAMES.get(answer.source, answer.source)}, via pip-audit"
    for vuln_id, reason in ignores.items():
        print(
            f"  ignored by {os.environ.get('AUDIT_IGNORE_FILE', '.ci/audit-ignore.txt')}: "
            f"{vuln_id}: {reason}"
        )
    for dep in answer.skipped:
        print(f"  not checked: {dep['name']}: {dep['skip_reason']}")
    found = answer.vulnerabilities
    total = len(answer.audited) + len(answer.skipped)
    not_checked = f"; {len(answer.skipped)} not checked (listed above)" if answer.skipped else ""
    if found:
        for dep, vuln in found:
            print(_vulnerability_line(dep, vuln))
        packages = len({dep["name"] for dep, _vuln in found})
        print(
            f"{PREFIX} FAILED, {len(found)} known vulnerabilit{'y' if len(found) == 1 else 'ies'}"
            f" in {packages} of {total} pinned packages ({source}){not_checked}"
        )
        return 1
    checked = len(answer.audited)
    scope = f"{checked} of {total}" if answer.skipped else f"{total}"
    print(f"{PREFIX} no known vulnerabilities in {scope} pinned packages ({source}){not_checked}")
    return 0


def main(argv: list[str]) -> int:
    files = argv or DEFAULT_FILES
    sources = [s.strip() for s in os.environ.get("AUDIT_SOURCES", DEFAULT_SOURCES).split(",")]
    try:
        ignores = read_ignores(
            Path(os.environ.get("AUDIT_IGNORE_FILE", ROOT / ".ci" / "audit-ignore.txt"))
        )
        reasons = []
        for source in filter(None, sources):
            answer = ask(source, files, ignores)
            if isinstance(answer, Answer) and answer.audited:
                return report(answer, ignores)
            if isinstance(answer, Answer):
                first = answer.skipped[0]["skip_reason"] if answer.skipped else "no packages"
                answer = f"no data for any of the {len(answer.skipped)} packages ({first})"
            reasons.append(f"  {source}: {answer}")
    except AuditError as error:
        print(f"  {error}")
        print(f"{PREFIX} FAILED, pip-audit did not run")
        return 1
    print("\n".join(reasons))
    print(NOT_CHECKED)
    if os.environ.get("AUDIT_REQUIRED") == "1":
        print(f"{PREFIX} FAILED, AUDIT_REQUIRED=1 and no advisory source answered")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
