"""Trust and information (issue 13): the privacy notice (the clinic's own text or the
default, and its version), the accessibility statement, both linked from every page's
footer; when the clinic aims to reply on the start and confirmation pages; emergency
numbers and the clinic's phone as tel: links."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from screening.intake import privacy
from tests.conftest import CONSENT_URL, DONE_URL, HELP_URL, STEP_URLS, page_text

PRIVACY_URL = "/privacy/"
ACCESSIBILITY_URL = "/accessibility/"


# --- The privacy notice ----------------------------------------------------------------


def test_the_default_notice_says_who_why_the_law_how_long_rights_and_contact(client, db, settings):
    settings.CLINIC_NAME = "Riverside Surgery"
    settings.CLINIC_PHONE = "01632 960 000"
    settings.CLINIC_CONTACT_EMAIL = "privacy@riverside.example"
    settings.RETENTION_DAYS = 2922
    settings.INTAKE_DRAFT_DAYS = 14
    response = client.get(PRIVACY_URL)
    assert response.status_code == 200
    text = page_text(response.content.decode())
    for phrase in (
        "Privacy notice",
        "Riverside Surgery is responsible for your information",  # who
        "so that a clinician can decide whether you need a vitamin B12 test",  # why
        "Article 6(1)(e)",  # the lawful basis
        "Article 9(2)(h)",
        "Your record: 2922 days (about 8 years) after the last form you sent",  # how long
        "A form you saved to finish later: 14 days",
        "get a copy of the information we hold about you",  # rights
        "complain to the Information Commissioner's Office",
        "Phone: 01632 960 000",  # contact
        "Email: privacy@riverside.example",
        f"Version of this notice: {privacy.privacy_notice().version}",
    ):
        assert phrase in text, phrase


def test_the_default_notice_in_spanish(client, db):
    response = client.get(PRIVACY_URL, HTTP_ACCEPT_LANGUAGE="es")
    text = page_text(response.content.decode())
    assert "Aviso de privacidad" in text
    assert "Sus derechos" in text
    assert "Your rights" not in text


def test_the_default_version_follows_the_text(settings, db):
    first = privacy.privacy_notice().version
    assert re.fullmatch(r"default-[0-9a-f]{12}", first)
    assert privacy.privacy_notice("es").version == first  # one notice, two languages
    settings.RETENTION_DAYS = 3650  # the notice now says something else
    assert privacy.privacy_notice().version not in (first, "")
    settings.PRIVACY_NOTICE_VERSION = "2026-12"
    assert privacy.privacy_notice().version == "2026-12"


def test_the_clinics_own_text_replaces_the_default_escaped(client, db, settings, tmp_path):
    notice = tmp_path / "privacy.txt"
    notice.write_text(
        "Riverside Surgery keeps your answers safe.\n\n"
        "# Your rights\n\n"
        "- see your record\n- correct it\n\n"
        "Write to <script>alert(1)</script> us.\n",
        encoding="utf-8",
    )
    settings.PRIVACY_NOTICE_FILE = str(notice)
    page = client.get(PRIVACY_URL).content.decode()

    assert "<p>Riverside Surgery keeps your answers safe.</p>" in page
    assert '<h2 class="h4 mt-4">Your rights</h2>' in page
    assert "<ul><li>see your record</li><li>correct it</li></ul>" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>" not in page
    assert "Article 9(2)(h)" not in page  # not the default
    version = privacy.privacy_notice().version
    assert re.fullmatch(r"file-[0-9a-f]{12}", version)
    assert f"Version of this notice: {version}" in page

    notice.write_text("Another text.", encoding="utf-8")
    assert privacy.privacy_notice().version != version


def test_one_file_per_language_and_the_default_languages_as_fallback(
    client, db, settings, tmp_path
):
    (tmp_path / "privacy.en.txt").write_text("In English.", encoding="utf-8")
    (tmp_path / "privacy.es.txt").write_text("En español.", encoding="utf-8")
    settings.PRIVACY_NOTICE_FILE = str(tmp_path / "privacy.{language}.txt")

    def page(language: str) -> str:
        return client.get(PRIVACY_URL, HTTP_ACCEPT_LANGUAGE=language).content.decode()

    assert "<p>En español.</p>" in page("es")
    assert "<p>In English.</p>" in page("en")
    # The version is the default language's file's: the notice of record.
    english_version = privacy.privacy_notice("en").version
    assert privacy.privacy_notice("es").version == english_version

    (tmp_path / "privacy.es.txt").unlink()
    assert "<p>In English.</p>" in page("es")


def test_an_unreadable_file_fails_the_start_up_check_and_patients_see_the_default(
    client, db, settings, tmp_path, caplog
):
    settings.PRIVACY_NOTICE_FILE = str(tmp_path / "missing.txt")
    with pytest.raises(SystemCheckError, match="screening.E130"):
        call_command("check")

    page = client.get(PRIVACY_URL).content.decode()
    assert "Article 9(2)(h)" in page
    assert privacy.privacy_notice().version.startswith("default-")
    assert "privacy notice file unreadable" in caplog.text


def test_the_agreement_records_the_version_shown(journey, settings, tmp_path):
    notice = tmp_path / "privacy.txt"
    notice.write_text("Our own notice.", encoding="utf-8")
    settings.PRIVACY_NOTICE_FILE = str(notice)
    journey.consent()
    assert journey.client.session["intake"]["care_consent"]["version"] == (
        privacy.privacy_notice().version
    )


# --- Linked from the start page, every page's footer and every email ---------------------


def _footer(html: str) -> str:
    return html.split('<footer class="site-footer', 1)[1]


def test_every_patient_page_links_both_in_its_footer(journey):
    pages = ["/", CONSENT_URL, PRIVACY_URL, ACCESSIBILITY_URL]
    journey.consent()
    pages += list(STEP_URLS.values())
    for url in pages:
        if url in STEP_URLS.values():
            journey.get(url)
        footer = _footer(journey.client.get(url, follow=True).content.decode())
        assert '<a href="/privacy/">Privacy notice</a>' in footer, url
        assert '<a href="/accessibility/">Accessibility statement</a>' in footer, url
    journey.answer_all()
    journey.submit()
    footer = _footer(journey.get(DONE_URL).content.decode())
    assert '<a href="/privacy/">Privacy notice</a>' in footer


def test_the_start_page_links_the_notice(client, db):
    main = client.get("/").content.decode().split("<footer", 1)[0]
    assert 'href="/privacy/"' in main


# --- The accessibility statement ------------------------------------------------------------


def test_the_accessibility_statement(client, db, settings):
    settings.CLINIC_PHONE = "01632 960 000"
    text = page_text(client.get(ACCESSIBILITY_URL).content.decode())
    for phrase in (
        "Accessibility statement",
        "WCAG) 2.2 at level AA",  # the standard
        "It is partially compliant",
        "axe-core",  # how it was tested
        "with the keyboard only",
        "320 pixels wide",
        "We know about these limits",  # known limits
        "Your answers are kept for 2 hours without use.",
        "Phone: 01632 960 000",  # contact
        "last reviewed on 2 December 2026",
    ):
        assert phrase in text, phrase
    spanish = page_text(client.get(ACCESSIBILITY_URL, HTTP_ACCEPT_LANGUAGE="es").content.decode())
    assert "Declaración de accesibilidad" in spanish
    assert "2 de diciembre de 2026" in spanish


# --- When the clinic aims to reply ----------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "english", "spanish"),
    [
        (2, "The clinic aims to reply within 2 working days.", "en un plazo de 2 días hábiles"),
        (1, "The clinic aims to reply within 1 working day.", "en un plazo de 1 día hábil"),
    ],
)
def test_start_and_confirmation_pages_say_when_the_clinic_aims_to_reply(
    journey, settings, days, english, spanish
):
    settings.CLINIC_REPLY_WORKING_DAYS = days
    start = page_text(journey.get("/").content.decode())
    assert "What happens after you send your answers" in start
    assert english in start
    assert spanish in page_text(journey.client.get("/", HTTP_ACCEPT_LANGUAGE="es").content.decode())

    journey.answer_all()
    journey.submit()
    assert english in page_text(journey.get(DONE_URL).content.decode())


def test_no_reply_time_is_promised_when_it_is_not_set(journey, settings):
    settings.CLINIC_REPLY_WORKING_DAYS = 0
    assert "aims to reply" not in journey.get("/").content.decode()


# --- tel: links -------------------------------------------------------------------------------


def test_numbers_are_tel_links_wherever_they_are_shown(journey, settings):
    settings.CLINIC_PHONE = "01632 960 000"
    start = journey.get("/").content.decode()
    assert 'call <a href="tel:999" class="tel">999</a> now' in start
    assert start.count('href="tel:999"') == 2  # the warning and the footer

    journey.answer_all(until="urgent")
    journey.answer("urgent", chest_pain="yes", thoughts_of_self_harm="yes")
    help_page = journey.get(HELP_URL).content.decode()
    assert 'Call <a href="tel:999" class="tel">999</a> now' in help_page
    assert 'Samaritans on <a href="tel:116123" class="tel">116 123</a>' in help_page

    journey.answer_all()
    journey.submit()
    done = journey.get(DONE_URL).content.decode()
    assert '<a href="tel:01632960000" class="tel">01632 960 000</a>' in done
    assert '<a href="tel:111" class="tel">111</a>' in done
    # No number anywhere on these pages that is not a link.
    for page in (start, help_page, done):
        text = re.sub(r"<a [^>]*>.*?</a>", "", page, flags=re.S)
        for number in ("999", "111", "116 123", "01632 960 000"):
            assert not re.search(rf"(?<![\w-]){number}(?![\w-])", page_text(text)), number
