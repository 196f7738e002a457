"""Staff sign-in: password, second factor (TOTP enrolment, backup codes), sign-out."""

from django.urls import path

app_name = "staff_account"

urlpatterns: list = [
    path("logout/", lambda request: None, name="logout"),  # placeholder until auth views land
]
