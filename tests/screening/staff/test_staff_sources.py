"""staff.sources: a reason's source as readable, linked guidelines, never internal file names."""

from __future__ import annotations

import datetime

import pytest

from screening.engine import rule_tables, rules
from screening.staff.sources import (
    GUIDELINES,
    NG239_RECOMMENDATIONS_URL,
    NG239_URL,
    reason_lines,
    source_line,
)


def test_source_line_names_ng239_with_its_section_and_link():
    line = source_line("clinical.md B1; NG239")

    (citation,) = line.citations
    assert (
        citation.name == "NICE NG239, Vitamin B12 deficiency in over 16s: diagnosis and management"
    )
    assert citation.url == NG239_URL
    assert citation.section == "recommendations 1.2, recognising vitamin B12 deficiency"
    assert citation.section_url == NG239_RECOMMENDATIONS_URL
    assert line.notes == []


def test_source_line_keeps_the_qualifier_with_its_guideline():
    line = source_line("clinical.md E3; NG239 (cut-off not confirmed)")

    (citation,) = line.citations
    assert citation.qualifier == "cut-off not confirmed"
    assert citation.section == "recommendations 1.3, testing"


def test_source_line_red_flag_links_ng127_and_the_bmj_doi():
    line = source_line("clinical.md F3; NG127; NHS Lothian RefHelp; BMJ 2019;365:l1865")

    assert [(c.name, c.url) for c in line.citations] == [
        (GUIDELINES["NG127"].name, "https://www.nice.org.uk/guidance/ng127"),
        ("NHS Lothian RefHelp", ""),
        ("BMJ 2019;365:l1865", "https://doi.org/10.1136/bmj.l1865"),
    ]


def test_source_line_metformin_links_the_mhra_update():
    line = source_line("clinical.md C4, C8; NG239; MHRA 2022; AAFP 2017")

    assert [c.url for c in line.citations] == [
        NG239_URL,
        GUIDELINES["MHRA 2022"].url,
        "https://pubmed.ncbi.nlm.nih.gov/28925645/",
    ]
    assert GUIDELINES["MHRA 2022"].url.startswith("https://www.gov.uk/drug-safety-update/")


def test_source_line_words_on_the_evidence_are_notes_not_citations():
    line = source_line(
        "clinical.md C1; BSH; AAFP 2017 (strict vegetarians); not confirmed in NG239, "
        "counted pending review"
    )

    assert [c.qualifier for c in line.citations] == ["", "strict vegetarians"]
    assert line.notes == ["not confirmed in NG239, counted pending review"]


def test_source_line_level_reason_names_no_section():
    (citation,) = source_line(rule_tables.NEUROLOGICAL_SOURCE).citations

    assert citation.section == ""
    assert "secondary summary" in citation.qualifier


def _every_source() -> set[str]:
    sources = {rule.source for rule in rule_tables.SYMPTOM_RULES}
    sources |= {rule.source for rule in rule_tables.DIET_RULES.values()}
    sources |= {source for _label, source in rule_tables.CONDITION_RULES.values()}
    sources |= {row[2] for row in rule_tables.MEDICINE_RULES.values()}
    sources |= {row[2] for row in rule_tables.RED_FLAG_RULES.values()}
    return sources | {
        rule_tables.AGE_75_RULE_SOURCE,
        rule_tables.COMBINED_PILL_RULE.source,
        rule_tables.FAMILY_HISTORY_RULE.source,
    }


@pytest.mark.parametrize("source", sorted(_every_source()))
def test_source_line_never_shows_an_internal_file(source):
    line = source_line(source)

    shown = [c.name for c in line.citations] + [c.qualifier for c in line.citations] + line.notes
    assert not any("clinical.md" in text or "answers.md" in text for text in shown)
    if source != "clinical.md F8":  # F8 (self-harm) cites no outside guideline
        assert line.citations or line.notes


def test_reason_lines_of_a_screened_intake_hide_the_codes():
    result = rules.screen(
        {"age_years": 58, "medicines": ["metformin"], "symptoms": {"fatigue": {"present": True}}},
        today=datetime.date(2026, 12, 1),
    )

    lines = reason_lines(result["reasons"])

    assert [line.text for line in lines] == [reason["text"] for reason in result["reasons"]]
    assert not any(hasattr(line, "code") for line in lines)
