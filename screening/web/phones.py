"""Phone numbers as `tel:` links, so a patient on a phone calls with one tap.

`tel_links` escapes a text (a setting such as "Samaritans on 116 123") and wraps each
phone number in it in a link: the template context (`context_processors.clinic`) and the
HTML emails use it. The link's target keeps only the digits and a leading "+".
"""

from __future__ import annotations

import re

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

# A number is a run of digits, spaces and hyphens (a leading "+" allowed) from one digit
# to another: "999", "116 123", "01632 960 999", "+44 20 7946 0000"; three digits at
# least, so "24 hours" is not a number to call. One pattern, defined with the clinic
# settings that it also checks (`screening.models.clinic`): a saved number is a link.
from screening.models.clinic import MIN_PHONE_DIGITS as MIN_DIGITS
from screening.models.clinic import PHONE_NUMBER


def tel_href(number: str) -> str:
    """The link target of a number as written: "01632 960 999" -> "tel:01632960999"."""
    digits = re.sub(r"\D", "", number)
    return "tel:" + ("+" if number.strip().startswith("+") else "") + digits


def tel_links(text: str) -> SafeString:
    """`text` escaped, each phone number in it a `tel:` link ("" stays "")."""
    parts: list[str] = []
    position = 0
    for match in PHONE_NUMBER.finditer(text):
        number = match.group()
        if sum(character.isdigit() for character in number) < MIN_DIGITS:
            continue
        parts.append(conditional_escape(text[position : match.start()]))
        parts.append(format_html('<a href="{}" class="tel">{}</a>', tel_href(number), number))
        position = match.end()
    parts.append(conditional_escape(text[position:]))
    return mark_safe("".join(parts))  # noqa: S308 - every part escaped above
