"""Free text as it is stored: names, phone numbers, clinicians' notes and the patient's
own words (other medicines, anything else)."""

from __future__ import annotations

from collections.abc import Mapping

from screening.models import FREE_TEXT_MAX_LENGTHS, Submission

# Unicode bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069). In a name
# or a note they turn the text after them around on a staff page (a reference, a date of
# birth), and escaping leaves them: they are dropped from free text as it is stored. The
# marks U+200E and U+200F, which names in Hebrew or Arabic may need, are kept.
BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def plain_text(text: str) -> str:
    """The text without bidi controls (BIDI_CONTROLS)."""
    return text.translate(BIDI_CONTROLS)


def free_text_clean(free_text: Mapping[str, str] | None) -> dict[str, str]:
    """The patient's own words as stored (`Submission.other_medicines`, `anything_else`):
    every FREE_TEXT_MAX_LENGTHS key, "" when not given; line breaks as "\\n", no bidi
    controls, no space around. ValueError for an unknown key or text over its bound (the
    form and the FHIR API check the bound first and say so to whoever typed it)."""
    given = dict(free_text or {})
    unknown = set(given) - set(FREE_TEXT_MAX_LENGTHS)
    if unknown:
        raise ValueError(f"Not a free-text field: {', '.join(sorted(unknown))}")
    cleaned = {}
    for name, bound in FREE_TEXT_MAX_LENGTHS.items():
        text = plain_text(given.get(name) or "")
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").strip()
        if len(text) > bound:
            raise ValueError(f"{name}: at most {bound} characters")
        cleaned[name] = text
    return cleaned


def free_text_of(submission: Submission) -> dict[str, str]:
    """A submission's free text, as `free_text_clean` returns it."""
    return {name: getattr(submission, name) for name in FREE_TEXT_MAX_LENGTHS}


def free_text_set(submission: Submission, free_text: Mapping[str, str]) -> None:
    """Put cleaned free text on a submission (unsaved): next to the answers, never among them."""
    for name, text in free_text.items():
        setattr(submission, name, text)
