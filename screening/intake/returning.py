"""The way from a row of "Check your answers" to its question and back to that row.

A Change link is `<page>?return=check&answer=<anchor>#<anchor>`: the fragment puts the
question (its label or legend, the id of the field's wrapper or fieldset) at the top of
the screen; `answer` tells the page, when it is sent, which row of the check page to come
back to (`/intake/check/#answer-<anchor>`). The page's form posts to its own URL without
the fragment, so no fragment is carried on to a later page by a redirect. If the change
makes another page apply (pregnancy, after sex or date of birth), that page comes first,
still with `return=check&answer=...`, then the check page at the row first changed.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse

ANSWER_ANCHOR = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,79}")


def change_url(page_url: str, anchor: str) -> str:
    """A check-page row's Change link to the question with the id `anchor` on `page_url`."""
    return f"{return_url(page_url, anchor)}#{anchor}"


def return_url(page_url: str, anchor: str = "") -> str:
    """A question page on the way back to the check page (at the row of `anchor`)."""
    query = {"return": "check", **({"answer": anchor} if anchor else {})}
    return f"{page_url}?{urlencode(query)}"


def row_id(anchor: str) -> str:
    """The id of the check page's row whose question has the id `anchor`."""
    return f"answer-{anchor}"


def check_url(anchor: str = "") -> str:
    """The check page, at the row of `anchor` if any."""
    url = reverse("screening:check")
    return f"{url}#{row_id(anchor)}" if anchor else url


def answer_anchor(request: HttpRequest) -> str:
    """The `answer` of a page opened from a Change link; "" if none or not an id."""
    anchor = request.GET.get("answer", "")
    return anchor if ANSWER_ANCHOR.fullmatch(anchor) else ""
