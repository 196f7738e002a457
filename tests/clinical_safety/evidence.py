"""Fail the run when a test the hazard log cites failed, was skipped, or was not run.

CI already runs the whole suite, so proving the cited tests pass costs nothing more: this
plugin (registered in tests/conftest.py) watches the reports and, at the end, checks every
node id the log's controls cite whose file was collected in this run. A cited test that was
deselected (`-m`, `-k`, `--lf`) is not held against the run: CI's other pass runs it. When
tests are chosen by node id (`path::test`), the other tests of a file are never collected, so
the check stands aside. A run that does not collect a cited file checks nothing for it; the
existence of every cited test is checked by tests/clinical_safety/test_hazard_log.py.
"""

from __future__ import annotations

import pytest

from tests.clinical_safety import hazard_log

EXIT_TESTS_FAILED = pytest.ExitCode.TESTS_FAILED


class HazardLogEvidence:
    def __init__(self, cited: list[str]) -> None:
        self.cited = cited
        self.collected_files: set[str] = set()
        self.selected: set[str] = set()  # node ids without parameters
        self.deselected: set[str] = set()
        self.outcomes: dict[str, set[str]] = {}  # node id without parameters -> outcomes
        self.problems: list[str] = []

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        for item in items:
            self.deselected.add(hazard_log.strip_params(item.nodeid))
            self.collected_files.add(item.nodeid.split("::", 1)[0])

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:
            self.selected.add(hazard_log.strip_params(item.nodeid))
            self.collected_files.add(item.nodeid.split("::", 1)[0])

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        outcome = report.outcome
        if report.when != "call" and outcome == "passed":
            return
        self.outcomes.setdefault(hazard_log.strip_params(report.nodeid), set()).add(outcome)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if any("::" in arg for arg in session.config.args):
            return
        self.problems = self.check()
        if self.problems and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = EXIT_TESTS_FAILED

    def check(self) -> list[str]:
        found = []
        for node_id in self.cited:
            if node_id.split("::", 1)[0] not in self.collected_files:
                continue
            cases = [n for n in self.selected if n == node_id or n.startswith(node_id + "::")]
            if not cases:
                if not any(n == node_id or n.startswith(node_id + "::") for n in self.deselected):
                    found.append(f"{node_id}: not collected")
                continue
            outcomes = set().union(*(self.outcomes.get(case, {"not run"}) for case in cases))
            if outcomes != {"passed"}:
                found.append(f"{node_id}: {', '.join(sorted(outcomes - {'passed'}))}")
        return found

    def pytest_terminal_summary(self, terminalreporter) -> None:  # type: ignore[no-untyped-def]
        if not self.problems:
            return
        terminalreporter.section("hazard log: cited tests not proven", red=True)
        terminalreporter.write_line(
            "docs/clinical-safety/hazard-log.md cites these tests as the proof of a control; "
            "each must run and pass:"
        )
        for problem in self.problems:
            terminalreporter.write_line(f"  {problem}")


def register(config: pytest.Config) -> None:
    cited = hazard_log.cited_node_ids(hazard_log.LOG_PATH.read_text(encoding="utf-8"))
    config.pluginmanager.register(HazardLogEvidence(cited), "hazard_log_evidence")
