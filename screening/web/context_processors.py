"""Values every template may show: the clinic's name, logo and address, and where to get
urgent care, from the clinic settings a clinic admin edits (`clinic_settings()`, cached:
no query on a request once the cache holds them).

The phone numbers are `tel:` links (`phones.tel_links`: escaped text, each number a
link), so every page that shows one lets a patient call it with a tap; the same names
hold plain text in the emails' context (`screening.reminders.emails`).
"""

from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from screening.domain.queries.alerts import staff_alerts as staff_alerts_read
from screening.domain.queries.clinic import ClinicValues, clinic_settings
from screening.web.phones import tel_links


def clinic(request: HttpRequest) -> dict:
    return clinic_values()


def staff_alerts(request: HttpRequest) -> dict:
    """The urgent count and the nobody-on-duty warning of every signed-in staff page
    (templates/staff/layout.html): read lazily, so only a page that shows them pays
    their one query."""
    return {"staff_alerts": SimpleLazyObject(staff_alerts_read)}


def clinic_values(values: ClinicValues | None = None) -> dict:
    """The clinic's details as pages show them (also outside a request: the privacy
    notice's version is worked out from the default notice rendered with them)."""
    values = values or clinic_settings()
    return {
        "clinic_name": values.name,
        "clinic_phone": tel_links(values.phone),
        "clinic_address": values.address,
        "clinic_logo_url": logo_url(values.logo),
        "emergency_number": tel_links(values.emergency_number),
        "urgent_advice_number": tel_links(values.urgent_advice_number),
        "crisis_line": tel_links(values.crisis_line),
        "clinic_contact_email": values.contact_email,
        "reply_working_days": values.reply_working_days,
    }


def logo_url(path: str) -> str:
    """The logo's URL among the static files ("" for none, or one the static files do
    not hold: a page without a logo rather than a broken one)."""
    if not path:
        return ""
    try:
        return staticfiles_storage.url(path)
    except ValueError:  # not in the manifest (production's hashed static files)
        return ""
