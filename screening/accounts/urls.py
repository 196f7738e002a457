"""Staff sign-in: password, second factor (TOTP enrolment, backup codes), sign-out.

These are the only pages under /staff/ that are not wrapped in `staff_view`: they are
how a user gets verified (see tests/screening/staff/test_url_permissions.py)."""

from django.urls import path

from screening.accounts import views as account_views

app_name = "staff_account"

urlpatterns = [
    path("login/", account_views.login, name="login"),
    path("verify/", account_views.verify, name="verify"),
    path("enrol/", account_views.enrol, name="enrol"),
    path("new-password/", account_views.new_password, name="new_password"),
    path("password/", account_views.password_change, name="password_change"),
    path("backup-codes/", account_views.backup_codes, name="backup_codes"),
    path("logout/", account_views.logout, name="logout"),
]
