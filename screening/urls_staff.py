"""The clinician dashboard. Every view is wrapped in permissions.staff_view."""

app_name = "staff"

urlpatterns: list = []
