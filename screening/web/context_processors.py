"""Values every template may show: the clinic's name and where to get urgent care."""

from django.conf import settings
from django.http import HttpRequest


def clinic(request: HttpRequest) -> dict:
    return {
        "clinic_name": settings.CLINIC_NAME,
        "clinic_phone": settings.CLINIC_PHONE,
        "emergency_number": settings.CLINIC_EMERGENCY_NUMBER,
        "urgent_advice_number": settings.CLINIC_URGENT_ADVICE_NUMBER,
        "crisis_line": settings.CLINIC_CRISIS_LINE,
    }
