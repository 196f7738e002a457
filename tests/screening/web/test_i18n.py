"""English and Spanish: every patient page and email in Spanish, the language switch that
keeps the answers, the language stored with a submission, staff pages in English, and a
Spanish catalog that is complete and in step with the source.

The Spanish catalog must be compiled (`make install` does it: docs/languages.md).
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from screening.domain.review import review_record
from screening.models import Reminder, Review, Submission
from screening.reminders import emails, links, unsubscribe
from tests.conftest import (
    CHECK_URL,
    CONSENT_URL,
    DONE_URL,
    FOLLOW_UP_SYMPTOMS,
    HELP_URL,
    STEP_URLS,
    VALID_PAGES,
    page_text,
    signed_in,
)
from tests.factories import IntakeDraftFactory, ReminderFactory, SubmissionFactory

BASE_DIR = Path(settings.BASE_DIR)
PO_PATH = BASE_DIR / "locale" / "es" / "LC_MESSAGES" / "django.po"
SET_LANGUAGE_URL = "/i18n/setlang/"
SAVED_URL = "/intake/saved/"

TITLE = re.compile(r"<title>(.*?)</title>", re.DOTALL)
HTML_LANG = re.compile(r'<html lang="([^"]+)"')


@pytest.fixture(autouse=True)
def _english_after_each_test():
    """A request leaves its language active in the thread: put English back for the next test."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def _switch(client: Client, language: str, next_url: str = "/"):
    """Press a language button, as the patient does on any patient page."""
    return client.post(SET_LANGUAGE_URL, {"language": language, "next": next_url})


def _page(response) -> tuple[str, str, str]:
    """(html lang, title without the clinic name, whole page)."""
    html = response.content.decode()
    title = " ".join(TITLE.search(html).group(1).split()).rsplit(" – ", 1)[0]
    return HTML_LANG.search(html).group(1), title, html


def _assert_spanish(response, title: str, *phrases: str) -> str:
    assert response.status_code in (200, 400, 403, 410), response.status_code
    lang, page_title, html = _page(response)
    assert lang == "es"
    assert page_title == title
    for phrase in phrases:
        assert phrase in html or phrase in page_text(html), phrase  # numbers are tel: links
    return html


@pytest.fixture
def spanish(journey):
    """A patient's browser that chose Español on the start page."""
    response = _switch(journey.client, "es", "/")
    assert response.status_code == 302
    assert response["Location"] == "/"
    return journey


# --- The language switch ----------------------------------------------------------------


def test_start_page_offers_the_switch_labelled_in_both_languages(client, db):
    for language, current in (("en", "English"), ("es", "Español")):
        _switch(client, language)
        html = client.get("/").content.decode()
        form = re.search(r'<form class="language-switch".*?</form>', html, re.DOTALL).group(0)
        assert f'action="{SET_LANGUAGE_URL}"' in form
        assert 'name="csrfmiddlewaretoken"' in form
        assert '<input type="hidden" name="next" value="/">' in form
        assert '<span lang="en">Language</span> / <span lang="es">Idioma</span>' in form
        buttons = re.findall(r"<button [^>]*>[^<]*</button>", form)
        assert buttons == [
            _button("en", "English", current=language == "en"),
            _button("es", "Español", current=language == "es"),
        ], current


def _button(code: str, name: str, *, current: bool) -> str:
    state = 'btn-secondary" aria-current="true"' if current else 'btn-outline-secondary"'
    return (
        f'<button type="submit" name="language" value="{code}" lang="{code}" '
        f'class="btn btn-sm {state}>{name}</button>'
    )


def test_switch_comes_back_to_the_same_page_with_its_query(journey):
    journey.answer_all()
    url = STEP_URLS["symptoms"] + "?return=check"
    page = journey.get(CHECK_URL + "?return=check").content.decode()
    assert '<input type="hidden" name="next" value="/intake/check/?return=check">' in page

    response = _switch(journey.client, "es", "/intake/symptoms/?return=check")

    assert response.status_code == 302
    assert response["Location"] == url
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"


def test_switch_does_not_redirect_to_another_site(client, db):
    response = _switch(client, "es", "https://evil.example/")
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_switching_keeps_the_answers_and_the_submission_records_spanish(journey):
    journey.answer("about-you")
    journey.answer("pregnancy")
    lang, title, _html = _page(journey.get(STEP_URLS["symptoms"]))
    assert (lang, title) == ("en", "How you feel")

    assert _switch(journey.client, "es", STEP_URLS["symptoms"])["Location"] == STEP_URLS["symptoms"]

    # The page asked for next is in Spanish; the two pages answered in English are kept.
    _assert_spanish(
        journey.get(STEP_URLS["symptoms"]),
        "Cómo se siente",
        "¿Cuáles de estas cosas ha notado en los últimos meses?",
        "Ninguno de estos",
    )
    about = _assert_spanish(journey.get(STEP_URLS["about-you"]), "Sobre usted", "Nombre completo")
    assert 'value="Ann Example"' in about
    assert 'value="Ann.Example@example.com"' in about
    pregnancy = _assert_spanish(journey.get(STEP_URLS["pregnancy"]), "Embarazo y lactancia")
    assert re.search(
        r'<input type="radio"[^>]* name="pregnant" value="no"[^>]* checked>', pregnancy
    )
    for slug in (
        "symptoms",
        "symptom-details-1",
        "urgent",
        "risk-factors",
        "blood-tests",
        "anything-else",
    ):
        assert journey.answer(slug).status_code == 302, slug

    check = _assert_spanish(
        journey.get(CHECK_URL),
        "Revise sus respuestas antes de enviarlas",
        "Ann Example",
        "3 de abril de 1990",  # the date format is translated too
        "Femenino",
        "Sí: 7 de 10, desde hace 12 semanas",
        "Dieta vegana: no como ningún alimento de origen animal",
        "Vitamina B12 (B12 total): 250 ng/L el 1 de mayo de 2025",
    )
    assert "How you feel" not in check
    journey.submit()

    submission = Submission.objects.get()
    assert submission.language == "es"
    assert submission.patient.language == "es"
    _assert_spanish(journey.get(DONE_URL), "Sus respuestas se han enviado", submission.reference)


def test_switching_back_to_english(spanish):
    spanish.answer("about-you")
    _assert_spanish(spanish.get(STEP_URLS["pregnancy"]), "Embarazo y lactancia")
    _switch(spanish.client, "en", STEP_URLS["pregnancy"])
    lang, title, html = _page(spanish.get(STEP_URLS["about-you"]))
    assert (lang, title) == ("en", "About you")
    assert 'value="Ann Example"' in html


# --- Every patient page in Spanish --------------------------------------------------------

INTAKE_TITLES = {
    "about-you": ("Sobre usted", "¿Qué sexo figura en su registro de nacimiento?"),
    "pregnancy": ("Embarazo y lactancia", "¿Está dando el pecho?"),
    "symptoms": ("Cómo se siente", "Cansancio o falta de energía"),
    "symptom-details-1": (
        "Cuánto le molesta y desde hace cuánto tiempo",
        "¿Desde hace cuánto tiempo lo tiene?",
    ),
    "urgent": ("Síntomas urgentes", "¿Tiene dolor, presión u opresión en el pecho?"),
    "risk-factors": ("Alimentación, medicamentos y salud", "Metformina (para la diabetes)"),
    "blood-tests": (
        "Resultados de análisis de sangre recientes",
        "Análisis de sangre 1 (opcional)",
    ),
    "anything-else": (
        "¿Hay algo más que quiera que sepa la clínica?",
        "Su mensaje para la clínica (opcional)",
    ),
}


def test_intake_pages_in_spanish(spanish):
    start = _assert_spanish(
        spanish.get("/"),
        "Compruebe si necesita un análisis de vitamina B12",
        "Empezar ahora",
        "llame ahora al 999",
    )
    assert "Start now" not in start
    _assert_spanish(spanish.get(CONSENT_URL), "Antes de empezar", "Sí, estoy de acuerdo")
    spanish.consent()
    for slug, (title, phrase) in INTAKE_TITLES.items():
        html = _assert_spanish(spanish.get(STEP_URLS[slug]), title, phrase, ">Continuar<")
        assert ">Continue<" not in html
        spanish.answer(slug)
    _assert_spanish(spanish.get(CHECK_URL), "Revise sus respuestas antes de enviarlas")
    spanish.submit()
    _assert_spanish(spanish.get(DONE_URL), "Sus respuestas se han enviado", "Qué pasa ahora")
    assert Submission.objects.get().language == "es"


def test_form_errors_in_spanish_including_django_own(spanish):
    spanish.consent()
    response = spanish.post(
        STEP_URLS["about-you"], {**VALID_PAGES["about-you"], "full_name": "", "dob_day": "123"}
    )
    html = _assert_spanish(
        response,
        "Error: Sobre usted",
        "Hay un problema",
        "Escriba su nombre completo",
        # Django's own message, from Django's Spanish catalog.
        "Asegúrese de que este valor tenga menos de 2 caracteres (tiene 3).",
    )
    assert "Enter your full name" not in html


def test_messages_in_spanish(spanish):
    spanish.answer("about-you")
    response = spanish.client.get(STEP_URLS["urgent"], follow=True)
    _assert_spanish(
        response, "Embarazo y lactancia", "Primero responda estas preguntas, por favor."
    )


def test_red_flag_advice_in_spanish(spanish):
    spanish.answer_all(until="urgent")
    assert (
        spanish.answer("urgent", chest_pain="yes", thoughts_of_self_harm="yes")["Location"]
        == HELP_URL
    )
    html = _assert_spanish(
        spanish.get(HELP_URL),
        "Busque ayuda ahora",
        "Llame ahora al 999",
        "Nos dijo que tiene: Dolor en el pecho",
        "Busque hoy apoyo de salud mental",
        "Nos dijo que tiene: Pensamientos de hacerse daño",
        "Continuar con las preguntas que faltan",
    )
    assert "Chest pain" not in html
    assert Submission.objects.get().language == "es"


def test_red_flag_f3_advice_in_spanish_says_now_not_book(spanish):
    """clinical.md F3/F4 in Spanish: assessed now (urgencias or the urgent line), not booked."""
    spanish.answer_all(until="urgent")
    spanish.answer("urgent", new_difficulty_walking="yes")
    html = _assert_spanish(
        spanish.get(HELP_URL),
        "Busque ayuda ahora",
        "Necesita que un médico le revise ahora",
        "No pida una cita",
        "Vaya ahora a un servicio de urgencias, o llame ahora al 111",
        "llame al 999",
    )
    assert "hoy por un médico" not in html
    assert "Get checked by a doctor now" not in html


def test_saved_page_in_spanish(spanish):
    spanish.answer("about-you")
    spanish.post(STEP_URLS["pregnancy"], {**VALID_PAGES["pregnancy"], "action": "save"})
    _assert_spanish(
        spanish.get(SAVED_URL),
        "Sus respuestas están guardadas",
        "Guardamos sus respuestas hasta el 29 de junio de 2025",
    )
    assert Reminder.objects.get(kind=Reminder.Kind.UNFINISHED_INTAKE).language == "es"


def test_session_ended_and_csrf_pages_in_spanish(spanish):
    _assert_spanish(
        spanish.post(CHECK_URL, {"idempotency_key": "x"}),
        "Su sesión ha terminado",
        "No recibimos sus respuestas",
    )
    strict = Client(enforce_csrf_checks=True)
    strict.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    response = strict.post(STEP_URLS["about-you"], VALID_PAGES["about-you"])
    assert response.status_code == 403
    _assert_spanish(response, "Su sesión ha terminado")


def _follow_up_reminder(language: str) -> Reminder:
    reviewed = SubmissionFactory(status=Submission.Status.REVIEWED)
    return ReminderFactory(
        kind=Reminder.Kind.FOLLOW_UP,
        submission=reviewed,
        key=f"follow_up:{reviewed.public_id}",
        language=language,
    )


def test_follow_up_pages_in_spanish(spanish):
    token = links.reminder_link_token(_follow_up_reminder("en"))
    client = spanish.client
    _assert_spanish(
        client.get(f"/follow-up/{token}/"), "Cómo se siente ahora", "La clínica quiere saber"
    )
    client.post(f"/follow-up/{token}/", FOLLOW_UP_SYMPTOMS)
    _assert_spanish(
        client.get(f"/follow-up/{token}/urgent/"), "Síntomas urgentes", "Enviar mis respuestas"
    )
    response = client.post(
        f"/follow-up/{token}/urgent/", {**VALID_PAGES["urgent"], "breathless_at_rest": "yes"}
    )
    assert response["Location"] == "/follow-up/get-help-now/"
    _assert_spanish(
        client.get("/follow-up/get-help-now/"), "Busque ayuda ahora", "Falta de aire en reposo"
    )
    assert Submission.objects.get(kind="follow_up").language == "es"


def test_follow_up_thank_you_page_in_spanish(spanish):
    token = links.reminder_link_token(_follow_up_reminder("en"))
    spanish.client.post(f"/follow-up/{token}/", FOLLOW_UP_SYMPTOMS)
    spanish.client.post(f"/follow-up/{token}/urgent/", VALID_PAGES["urgent"])
    _assert_spanish(
        spanish.get("/follow-up/thank-you/"), "Gracias", "Sus respuestas se han enviado"
    )


def test_link_pages_in_spanish(spanish):
    draft = IntakeDraftFactory(language="es")
    resume = ReminderFactory(
        kind=Reminder.Kind.UNFINISHED_INTAKE,
        draft=draft,
        submission=None,
        key=f"unfinished:{draft.public_id}",
    )
    client = spanish.client
    _assert_spanish(
        client.get(f"/intake/resume/{links.reminder_link_token(resume)}/"),
        "Continúe con su formulario",
        "Continuar mi formulario",
    )
    _assert_spanish(
        client.get("/intake/resume/not-a-real-link/"),
        "Este enlace no funciona",
        "Empezar de nuevo",
    )
    _assert_spanish(client.get("/follow-up/not-a-real-link/"), "Este enlace no funciona")


def test_unsubscribe_pages_in_the_email_language(client, db):
    reminder = _follow_up_reminder("es")
    url = f"/unsubscribe/{unsubscribe.unsubscribe_token(reminder)}/"
    _assert_spanish(client.get(url), "Dejar de recibir estos correos", "Pulse el botón")
    _assert_spanish(client.post(url), "Ya no recibirá estos correos")


def test_a_link_from_a_spanish_email_opens_in_spanish_and_stays_spanish(client, frozen_day, db):
    """No language chosen in this browser (say, another device): the email's language."""
    reminder = _follow_up_reminder("es")
    token = links.reminder_link_token(reminder)

    first = client.get(f"/follow-up/{token}/")

    _assert_spanish(first, "Cómo se siente ahora")
    assert first.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    client.post(f"/follow-up/{token}/", FOLLOW_UP_SYMPTOMS)
    client.post(f"/follow-up/{token}/urgent/", VALID_PAGES["urgent"])
    _assert_spanish(client.get("/follow-up/thank-you/"), "Gracias")
    assert Submission.objects.get(kind="follow_up").language == "es"


def test_a_language_chosen_with_the_switch_wins_over_the_email_language(client, frozen_day, db):
    reminder = _follow_up_reminder("es")
    _switch(client, "en")
    lang, title, _html = _page(client.get(f"/follow-up/{links.reminder_link_token(reminder)}/"))
    assert (lang, title) == ("en", "How you feel now")


def test_english_is_the_default(client, db):
    lang, title, _html = _page(client.get("/"))
    assert (lang, title) == ("en", "Check if you need a vitamin B12 test")


def test_browser_preference_is_used_until_the_patient_chooses(client, db):
    lang, title, _html = _page(client.get("/", HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9"))
    assert (lang, title) == ("es", "Compruebe si necesita un análisis de vitamina B12")
    _switch(client, "en")
    lang, _title, _html = _page(client.get("/", HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9"))
    assert lang == "en"


# --- Emails --------------------------------------------------------------------------------


@pytest.fixture
def clinic(settings):
    settings.CLINIC_NAME = "Riverside Surgery"
    settings.CLINIC_PHONE = "01632 960 999"
    settings.SITE_URL = "https://intake.example.org"
    settings.REMINDER_LINK_MAX_AGE_DAYS = 30
    return settings


@pytest.mark.parametrize(
    ("kind", "build", "phrase"),
    [
        (Reminder.Kind.FOLLOW_UP, emails.follow_up, "Abra este enlace para leerlo y responder:"),
        (
            Reminder.Kind.BLOOD_TEST,
            emails.blood_test,
            "Por favor, comuníquese con la clínica al 01632 960 999.",
        ),
    ],
)
def test_spanish_reminder_emails_are_in_spanish(clinic, db, kind, build, phrase):
    reminder = ReminderFactory(kind=kind, language="es")

    message = build(reminder)

    html = message.alternatives[0][0]
    assert message.subject == "Tiene un mensaje de Riverside Surgery"
    for part in (message.body, html):
        assert "Hola:" in part
        assert phrase in page_text(part)  # the HTML part's phone number is a tel: link
        assert "Por favor, no responda a este correo: las respuestas no se leen." in part
        assert "You have a message" not in part
    assert "Para dejar de recibir estos correos, abra este enlace:" in message.body
    assert '<html lang="es">' in html
    assert ">Dejar de recibir estos correos</a>" in html


def test_unfinished_intake_email_goes_in_the_language_the_form_was_filled_in(clinic, spanish):
    spanish.answer("about-you")
    spanish.post(STEP_URLS["pregnancy"], {**VALID_PAGES["pregnancy"], "action": "save"})
    reminder = Reminder.objects.get(kind=Reminder.Kind.UNFINISHED_INTAKE)

    with translation.override("en"):  # the worker's language does not matter
        message = emails.unfinished_intake(reminder)

    assert reminder.language == "es"
    assert message.subject == "Tiene un mensaje de Riverside Surgery"
    assert "Guardó un formulario para terminarlo más tarde" in message.body
    # As many days as the saved answers are kept (INTAKE_DRAFT_DAYS), at most a link's life.
    assert re.search(r"El enlace funciona una sola vez, durante 1[34] días\.", message.body)


def test_follow_up_reminder_takes_the_patient_language(clinic, spanish, clinician):
    spanish.answer_all()
    spanish.submit()
    submission = Submission.objects.get()
    review_record(submission=submission, by=clinician, outcomes=[Review.Outcome.NO_ACTION], note="")
    reminder = Reminder.objects.get(kind=Reminder.Kind.FOLLOW_UP)

    message = emails.follow_up(reminder)

    assert reminder.language == "es"
    assert message.subject == "Tiene un mensaje de Riverside Surgery"
    assert "El enlace funciona una sola vez, durante 30 días." in message.body


# --- Staff pages stay English --------------------------------------------------------------


def _staff_in_a_spanish_browser(clinician) -> Client:
    client = signed_in(Client(HTTP_ACCEPT_LANGUAGE="es"), clinician)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"  # left by trying the patient form
    return client


def test_staff_record_of_a_spanish_intake_is_in_english_and_names_the_language(spanish, clinician):
    spanish.answer_all()
    spanish.submit()
    submission = Submission.objects.get()
    staff = _staff_in_a_spanish_browser(clinician)

    html = staff.get(f"/staff/submissions/{submission.public_id}/").content.decode()

    assert HTML_LANG.search(html).group(1) == "en"
    assert "<dt>Language</dt><dd>Answered in Spanish (shown here in English)</dd>" in html
    assert "Tiredness or lack of energy" in html
    assert "Chest pain" in html
    assert "Cansancio" not in html
    assert "Dolor en el pecho" not in html
    assert "Metformin (for diabetes)" in html


def test_staff_record_of_an_english_intake_says_english(journey, clinician):
    journey.answer_all()
    journey.submit()
    submission = Submission.objects.get()
    html = signed_in(Client(), clinician).get(f"/staff/submissions/{submission.public_id}/")
    assert "<dt>Language</dt><dd>Answered in English</dd>" in html.content.decode()


def test_staff_queue_and_admin_are_english_in_a_spanish_browser(clinician, admin_client):
    SubmissionFactory(level="urgent")
    html = _staff_in_a_spanish_browser(clinician).get("/staff/").content.decode()
    assert ">Urgent<" in html
    assert "Urgente" not in html

    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    admin = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert HTML_LANG.search(admin).group(1) == "en"
    assert "Log out" in admin
    assert "Terminar sesión" not in admin


# --- The catalog -----------------------------------------------------------------------------


def _po_entries(path: Path) -> list[dict]:
    """The entries of a .po file (header included): flags, msgctxt, msgid, msgid_plural,
    msgstr / msgstr[n]. Enough of the format for makemessages' output."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry: dict = {"flags": []}
        key = None
        for line in block.strip().splitlines():
            if line.startswith("#,"):
                entry["flags"] += [flag.strip() for flag in line[2:].split(",")]
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                entry[key] += ast.literal_eval(line)
            else:
                key, _space, value = line.partition(" ")
                entry[key] = ast.literal_eval(value)
        if "msgid" in entry:
            entries.append(entry)
    return entries


def _msgstrs(entry: dict) -> list[str]:
    return [value for key, value in entry.items() if key.startswith("msgstr")]


def test_catalog_has_no_untranslated_or_fuzzy_message():
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(PO_PATH)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"\d+ translated messages\.\n", result.stderr), result.stderr

    entries = _po_entries(PO_PATH)
    header, messages = entries[0], entries[1:]
    assert header["msgid"] == ""
    assert "Language: es\n" in header["msgstr"]
    assert len(messages) > 400
    assert [entry["msgid"] for entry in entries if "fuzzy" in entry["flags"]] == []
    assert [entry["msgid"] for entry in messages if not all(_msgstrs(entry))] == []


def test_compiled_catalog_gives_every_translation():
    """The .mo Django loads holds every message of the .po (so it is compiled and current)."""
    wrong = []
    with translation.override("es"):
        for entry in _po_entries(PO_PATH)[1:]:
            context, msgid = entry.get("msgctxt"), entry["msgid"]
            if "msgid_plural" in entry:
                got = translation.ngettext(msgid, entry["msgid_plural"], 1)
                expected = entry["msgstr[0]"]
            elif context is not None:
                got, expected = translation.pgettext(context, msgid), entry["msgstr"]
            else:
                got, expected = translation.gettext(msgid), entry["msgstr"]
            if got != expected:
                wrong.append(msgid)
    assert wrong == [], "run `make install` (compilemessages) after changing the .po"


def _message_keys(path: Path) -> set[tuple]:
    return {
        (entry.get("msgctxt"), entry["msgid"], entry.get("msgid_plural"))
        for entry in _po_entries(path)[1:]
    }


def test_catalog_is_in_step_with_the_source(tmp_path):
    """makemessages on a copy of the source finds exactly the catalog's messages: no marked
    string is missing from it, and none is left over."""
    copy = tmp_path / "project"
    for folder in ("clinic", "screening", "templates", "locale"):
        shutil.copytree(
            BASE_DIR / folder, copy / folder, ignore=shutil.ignore_patterns("__pycache__", "*.mo")
        )
    shutil.copy(BASE_DIR / "manage.py", copy / "manage.py")

    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "es", "--no-obsolete"]
        + ["--ignore=.venv", "--ignore=tests"],
        cwd=copy,
        env={**os.environ, "DJANGO_DEBUG": "true", "PYTHONPATH": str(copy)},
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    fresh = _message_keys(copy / "locale" / "es" / "LC_MESSAGES" / "django.po")
    committed = _message_keys(PO_PATH)
    assert sorted(fresh - committed, key=str) == [], "marked but not in the catalog"
    assert sorted(committed - fresh, key=str) == [], "in the catalog but no longer marked"
