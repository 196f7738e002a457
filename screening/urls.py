"""Patient-facing URLs. No URL carries personal data or a database id."""

urlpatterns: list = []
