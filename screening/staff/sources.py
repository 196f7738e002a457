"""A reason's source as a clinician reads it: the guideline's name, its section where the
engine's citation gives one, and a link to its public page.

The engine cites its sources tersely ("clinical.md B1; NG239"): `clinical.md` and
`answers.md` are this project's own files (shared/spec), which mean nothing to a
clinician, so they are not shown; their section letters say which part of NG239 a rule
rests on. The source text as the engine wrote it is kept in the stored result, the CSV
export and FHIR. Public addresses: clinical.md's list of sources, and each page as
looked up (docs/dashboard.md, "Reasons and their sources").
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Guideline:
    name: str
    url: str = ""  # "" when no public page was found to link to


NG239_URL = "https://www.nice.org.uk/guidance/ng239"
NG239_RECOMMENDATIONS_URL = f"{NG239_URL}/chapter/Recommendations"

# What the engine's sources name -> the guideline. Longest first where one contains
# another; each is a whole word or phrase in the source text.
GUIDELINES: dict[str, Guideline] = {
    "BMJ 2019;365:l1865": Guideline("BMJ 2019;365:l1865", "https://doi.org/10.1136/bmj.l1865"),
    "NG239": Guideline(
        "NICE NG239, Vitamin B12 deficiency in over 16s: diagnosis and management", NG239_URL
    ),
    "NG127": Guideline(
        "NICE NG127, Suspected neurological conditions: recognition and referral",
        "https://www.nice.org.uk/guidance/ng127",
    ),
    "MHRA 2022": Guideline(
        "MHRA Drug Safety Update (June 2022): metformin and reduced vitamin B12 levels",
        "https://www.gov.uk/drug-safety-update/"
        "metformin-and-reduced-vitamin-b12-levels-new-advice-for-monitoring-patients-at-risk",
    ),
    "BSH": Guideline(
        "British Society for Haematology, cobalamin and folate disorders (2014; NG239 "
        "supersedes it for B12)",
        "https://b-s-h.org.uk/guidelines/guidelines/diagnosis-of-b12-and-folate-deficiency",
    ),
    "AAFP 2017": Guideline(
        "Langan and Goodbred, Vitamin B12 deficiency: recognition and management, "
        "Am Fam Physician 2017",
        "https://pubmed.ncbi.nlm.nih.gov/28925645/",
    ),
    "BNSSG Remedy B12 guidance": Guideline(
        "BNSSG Remedy, vitamin B12 guidance",
        "https://remedy.bnssg.icb.nhs.uk/adults/haematology/vitamin-b12-interim-guidelines",
    ),
    "NHS Lothian RefHelp": Guideline("NHS Lothian RefHelp"),
    "NHS FAST": Guideline("NHS FAST stroke signs (face, arms, speech, time)"),
    "CES": Guideline("NICE clinical knowledge summaries and NHS guidance on cauda equina syndrome"),
}
# NG239's recommendations by the letter of the clinical.md section a rule cites: A to C
# (who to test: symptoms, signs and risk factors) are NG239 1.2, "Recognising vitamin B12
# deficiency"; E (test results) is NG239 1.3. Other letters name no one section.
NG239_SECTIONS = {
    "A": "recommendations 1.2, recognising vitamin B12 deficiency",
    "B": "recommendations 1.2, recognising vitamin B12 deficiency",
    "C": "recommendations 1.2, recognising vitamin B12 deficiency",
    "E": "recommendations 1.3, testing",
}

_INTERNAL = ("clinical.md", "answers.md")
_CLINICAL_LETTERS = re.compile(r"clinical\.md ((?:[A-I]\d+(?:, )?)+)")


@dataclass(frozen=True)
class Citation:
    """One guideline a reason rests on, as the page shows it."""

    name: str
    url: str
    section: str  # "" when the citation names none
    section_url: str
    qualifier: str  # the engine's words on it, e.g. "cut-off not confirmed"


@dataclass(frozen=True)
class SourceLine:
    citations: list[Citation]
    notes: list[str]  # words of the source that name no guideline ("pending review")


def _ng239_section(source: str) -> str:
    match = _CLINICAL_LETTERS.search(source)
    letters = {part.strip()[0] for part in match.group(1).split(",")} if match else set()
    for letter in sorted(letters):
        if letter in NG239_SECTIONS:
            return NG239_SECTIONS[letter]
    return ""


def _guideline_key(part: str) -> str | None:
    """The guideline a part of a source starts with, if any (longest first)."""
    for key in sorted(GUIDELINES, key=len, reverse=True):
        if part == key or part.startswith((f"{key} ", f"{key}(")):
            return key
    return None


def source_line(source: str) -> SourceLine:
    """A reason's `source` as readable citations with links; internal file names dropped.

    The engine's source is parts separated by "; ": an internal file and its sections, a
    guideline with its qualifier after it ("NG239 (cut-off not confirmed)"), or words on
    the evidence ("counted pending review"), which are kept as notes.
    """
    citations: list[Citation] = []
    notes: list[str] = []
    for part in (part.strip() for part in source.split("; ")):
        if not part or part.startswith(_INTERNAL):
            continue
        key = _guideline_key(part)
        if key is None:
            notes.append(part)
            continue
        guideline = GUIDELINES[key]
        section = _ng239_section(source) if key == "NG239" else ""
        citations.append(
            Citation(
                name=guideline.name,
                url=guideline.url,
                section=section,
                section_url=NG239_RECOMMENDATIONS_URL if section else "",
                qualifier=part[len(key) :].strip().removeprefix("(").removesuffix(")"),
            )
        )
    return SourceLine(citations=citations, notes=notes)


@dataclass(frozen=True)
class ReasonLine:
    """One reason as the record page shows it: its text and readable sources, no code."""

    text: str
    source: SourceLine


def reason_lines(reasons: list[dict]) -> list[ReasonLine]:
    return [
        ReasonLine(text=reason["text"], source=source_line(reason["source"])) for reason in reasons
    ]
