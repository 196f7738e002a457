"""Values every template may show: the clinic's name and where to get urgent care.

The phone numbers are `tel:` links (`phones.tel_links`: escaped text, each number a
link), so every page that shows one lets a patient call it with a tap; the same names
hold plain text in the emails' context (`screening.reminders.emails`).
"""

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from screening.domain.queries.alerts import staff_alerts as staff_alerts_read
from screening.web.phones import tel_links


def clinic(request: HttpRequest) -> dict:
    return clinic_values()


def staff_alerts(request: HttpRequest) -> dict:
    """The urgent count and the nobody-on-duty warning of every signed-in staff page
    (templates/staff/layout.html): read lazily, so only a page that shows them pays
    their one query."""
    return {"staff_alerts": SimpleLazyObject(staff_alerts_read)}


def clinic_values() -> dict:
    """The clinic's details as pages show them (also outside a request: the privacy
    notice's version is worked out from the default notice rendered with them)."""
    return {
        "clinic_name": settings.CLINIC_NAME,
        "clinic_phone": tel_links(settings.CLINIC_PHONE),
        "emergency_number": tel_links(settings.CLINIC_EMERGENCY_NUMBER),
        "urgent_advice_number": tel_links(settings.CLINIC_URGENT_ADVICE_NUMBER),
        "crisis_line": tel_links(settings.CLINIC_CRISIS_LINE),
        "clinic_contact_email": settings.CLINIC_CONTACT_EMAIL,
        "reply_working_days": settings.CLINIC_REPLY_WORKING_DAYS,
    }
