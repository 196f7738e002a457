"""Free text as it is stored: names, phone numbers and clinicians' notes."""

from __future__ import annotations

# Unicode bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069). In a name
# or a note they turn the text after them around on a staff page (a reference, a date of
# birth), and escaping leaves them: they are dropped from free text as it is stored. The
# marks U+200E and U+200F, which names in Hebrew or Arabic may need, are kept.
BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def plain_text(text: str) -> str:
    """The text without bidi controls (BIDI_CONTROLS)."""
    return text.translate(BIDI_CONTROLS)
