"""Read docs/clinical-safety/: the hazard log and the plan's risk matrix, and check them.

The hazard log is for people first (docs/clinical-safety/hazard-log.md), so its structure is
fixed Markdown: one `## HAZ-nn: title` per hazard, its fields as `- **Name:** value` bullets,
then `### Controls` (each `- **Cnn.k**` bullet names its tests' node ids in backticks) and
`### Open actions` (each `- **Ann.k**` bullet names no test, or the section says `None.`).
`problems()` returns every way a log breaks those rules, so a test can show them all at once
and the checks themselves can be tested on made-up logs.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOG_PATH = ROOT / "docs" / "clinical-safety" / "hazard-log.md"
PLAN_PATH = ROOT / "docs" / "clinical-safety" / "clinical-risk-management-plan.md"

SEVERITIES = ("Minor", "Significant", "Considerable", "Major", "Catastrophic")
LIKELIHOODS = ("Very high", "High", "Medium", "Low", "Very low")

# DCB0129 implementation guidance's matrix (likelihood row, severity column -> rating 1-5), as
# the plan states it; the plan's table must say the same (test_plan_matrix_is_dcb0129s).
DCB0129_MATRIX: dict[tuple[str, str], int] = {
    (likelihood, severity): rating
    for likelihood, ratings in zip(
        LIKELIHOODS,
        ((3, 4, 4, 5, 5), (2, 3, 3, 4, 5), (2, 2, 3, 3, 4), (1, 2, 2, 3, 4), (1, 1, 2, 2, 3)),
        strict=True,
    )
    for severity, rating in zip(SEVERITIES, ratings, strict=True)
}

REQUIRED_FIELDS = ("Cause", "Effect", "Possible harm", "Initial risk", "Residual risk", "Status")
STATUSES = ("Open", "Transferred", "Closed")
HIGHEST_ACCEPTED_RESIDUAL = 3  # the plan's acceptance: 4 and 5 are never released
DEPLOYER = "(deploying organisation)"

HAZARD_HEADING = re.compile(r"^## (HAZ-(\d\d)): (\S.*)$", re.MULTILINE)
FIELD = re.compile(r"^- \*\*([^*]+):\*\* ?(.*)$")
ITEM = re.compile(r"^- \*\*([CA])(\d\d)\.(\d+)\*\* (.*)$")
RISK = re.compile(
    rf"^severity ({'|'.join(SEVERITIES)}), likelihood ({'|'.join(LIKELIHOODS)}), rating (\d)$"
)
BACKTICKED = re.compile(r"`([^`]+)`")
NODE_ID = re.compile(r"^tests/[\w/]+\.py(::[A-Za-z_]\w*){0,2}(\[[^\]]*\])?$")


@dataclasses.dataclass
class Item:
    """A control or an open action: its id (`C01.2`, `A01.1`), text and cited node ids."""

    ident: str
    text: str
    node_ids: list[str]


@dataclasses.dataclass
class Hazard:
    ident: str
    title: str
    fields: dict[str, str]
    controls: list[Item]
    open_actions: list[Item]
    sections: list[str]
    open_actions_none: bool


def parse(text: str) -> list[Hazard]:
    """Every hazard of the log, in order; the text before the first hazard is the preamble."""
    matches = list(HAZARD_HEADING.finditer(text))
    hazards = []
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        hazards.append(_parse_hazard(match.group(1), match.group(3), text[match.end() : end]))
    return hazards


def _parse_hazard(ident: str, title: str, body: str) -> Hazard:
    fields: dict[str, str] = {}
    items: dict[str, list[Item]] = {"Controls": [], "Open actions": []}
    sections: list[str] = []
    none_in: set[str] = set()
    section = ""
    current: dict[str, str] | Item | None = None
    last_field = ""
    for line in body.splitlines():
        if line.startswith("### "):
            section = line[4:].strip()
            sections.append(section)
            current = None
            continue
        if not line.strip():
            continue
        if line.startswith("  ") and current is not None:
            if isinstance(current, Item):
                current.text += " " + line.strip()
            else:
                current[last_field] += " " + line.strip()
            continue
        if section == "":
            field = FIELD.match(line)
            if field:
                last_field = field.group(1)
                fields[last_field] = field.group(2).strip()
                current = fields
            continue
        item = ITEM.match(line)
        if item and section in items:
            current = Item(f"{item.group(1)}{item.group(2)}.{item.group(3)}", item.group(4), [])
            items[section].append(current)
        elif line.strip() == "None." and section in items:
            none_in.add(section)
        else:
            current = None
    for item_list in items.values():
        for entry in item_list:
            entry.node_ids = [
                cited for cited in BACKTICKED.findall(entry.text) if cited.startswith("tests/")
            ]
    return Hazard(
        ident=ident,
        title=title,
        fields=fields,
        controls=items["Controls"],
        open_actions=items["Open actions"],
        sections=sections,
        open_actions_none="Open actions" in none_in,
    )


def parse_plan_matrix(text: str) -> dict[tuple[str, str], int]:
    """The plan's `### Matrix` table: a header of severities, a row per likelihood."""
    section = text.split("### Matrix", 1)[1].split("\n### ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in rows[0].strip("|").split("|")][1:]
    matrix = {}
    for row in rows[2:]:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        for severity, rating in zip(header, cells[1:], strict=True):
            matrix[(cells[0], severity)] = int(rating)
    return matrix


def risk(value: str) -> tuple[str, str, int] | None:
    match = RISK.match(value)
    if match is None:
        return None
    return match.group(1), match.group(2), int(match.group(3))


def strip_params(node_id: str) -> str:
    """`file.py::test_x[a-b]` -> `file.py::test_x`: the log cites functions, not their cases."""
    return node_id.split("[", 1)[0]


def missing_test(node_id: str, root: Path = ROOT) -> str | None:
    """Why `node_id` names no test (read from the file's AST, nothing imported), or None."""
    if not NODE_ID.match(node_id):
        return f"`{node_id}` is not a pytest node id (tests/....py::test_name)"
    path, *names = strip_params(node_id).split("::")
    source = root / path
    if not source.is_file():
        return f"`{node_id}`: no file {path}"
    body: list[ast.stmt] = _module_body(source)
    for depth, name in enumerate(names):
        is_last = depth == len(names) - 1
        kinds: tuple[type, ...] = (
            (ast.FunctionDef, ast.AsyncFunctionDef) if is_last else (ast.ClassDef,)
        )
        found = [node for node in body if isinstance(node, kinds) and node.name == name]
        if not found:
            what = "test function" if is_last else "class"
            return f"`{node_id}`: no {what} {name!r} in {path}"
        if is_last and not name.startswith("test"):
            return f"`{node_id}`: {name!r} is not a test (its name must start with test)"
        body = found[0].body if isinstance(found[0], ast.ClassDef) else []
    return None


@functools.cache
def _module_body(source: Path) -> list[ast.stmt]:
    return ast.parse(source.read_text(encoding="utf-8")).body


def problems(log_text: str, matrix: dict[tuple[str, str], int], root: Path = ROOT) -> list[str]:
    """Every way the log breaks its rules: fields, ratings, controls, tests, statuses."""
    hazards = parse(log_text)
    found: list[str] = []
    if not hazards:
        return ["the hazard log has no `## HAZ-nn: title` heading"]
    idents = [hazard.ident for hazard in hazards]
    if len(set(idents)) != len(idents):
        found.append(f"hazard ids repeat: {idents}")
    for hazard in hazards:
        found += [f"{hazard.ident}: {problem}" for problem in _hazard_problems(hazard, matrix)]
        for control in hazard.controls:
            for node_id in control.node_ids:
                why = missing_test(node_id, root)
                if why:
                    found.append(f"{hazard.ident} {control.ident}: {why}")
    return found


def _hazard_problems(hazard: Hazard, matrix: dict[tuple[str, str], int]) -> list[str]:
    found = [f"no **{name}:** field" for name in REQUIRED_FIELDS if not hazard.fields.get(name)]
    if hazard.sections != ["Controls", "Open actions"]:
        found.append(f"sections are {hazard.sections}, not ['Controls', 'Open actions']")
    ratings = {}
    for name in ("Initial risk", "Residual risk"):
        value = hazard.fields.get(name)
        if value is None:
            continue
        parsed = risk(value)
        if parsed is None:
            found.append(f"{name} {value!r} is not 'severity S, likelihood L, rating R'")
            continue
        severity, likelihood, rating = parsed
        if matrix.get((likelihood, severity)) != rating:
            found.append(
                f"{name}: {severity} x {likelihood} is rated "
                f"{matrix.get((likelihood, severity))} by the matrix, not {rating}"
            )
        ratings[name] = parsed
    if len(ratings) == 2:
        initial, residual = ratings["Initial risk"], ratings["Residual risk"]
        if residual[2] > initial[2]:
            found.append("the residual risk is rated above the initial risk")
        if SEVERITIES.index(residual[0]) > SEVERITIES.index(initial[0]):
            found.append("the residual severity is above the initial severity")
        if residual[2] > HIGHEST_ACCEPTED_RESIDUAL:
            found.append(f"residual rating {residual[2]} is not acceptable for release")
        if residual[2] == HIGHEST_ACCEPTED_RESIDUAL and not hazard.fields.get("Justification"):
            found.append("a residual rating of 3 needs a **Justification:** field")
    if not hazard.controls:
        found.append("no control")
    for control in hazard.controls:
        if control.ident[0] != "C" or control.ident[1:3] != hazard.ident[4:]:
            found.append(f"control {control.ident} is not numbered C{hazard.ident[4:]}.k")
        if not control.node_ids:
            found.append(f"control {control.ident} names no test")
    for action in hazard.open_actions:
        if action.ident[0] != "A" or action.ident[1:3] != hazard.ident[4:]:
            found.append(f"open action {action.ident} is not numbered A{hazard.ident[4:]}.k")
        if action.node_ids:
            found.append(
                f"open action {action.ident} names a test: if it is proven, make it a control"
            )
    if not hazard.open_actions and not hazard.open_actions_none:
        found.append("the Open actions section has no action and does not say None.")
    found += _status_problems(hazard)
    return found


def _status_problems(hazard: Hazard) -> list[str]:
    status = hazard.fields.get("Status")
    if status is None:
        return []
    if status not in STATUSES:
        return [f"status {status!r} is not one of {STATUSES}"]
    supplier = [action for action in hazard.open_actions if DEPLOYER not in action.text]
    if status == "Closed" and hazard.open_actions:
        return ["Closed, but it has open actions"]
    if status == "Transferred" and (supplier or not hazard.open_actions):
        return ["Transferred needs open actions, all of them the deploying organisation's"]
    if status == "Open" and not supplier:
        return ["Open, but no open action is the supplier's (Transferred or Closed?)"]
    return []


def cited_node_ids(log_text: str) -> list[str]:
    """Every node id the controls cite, without parameters, in order, once each."""
    cited: dict[str, None] = {}
    for hazard in parse(log_text):
        for control in hazard.controls:
            for node_id in control.node_ids:
                cited[strip_params(node_id)] = None
    return list(cited)
