"""FHIR API under /fhir/ (docs/fhir.md). The staff download is wrapped in `staff_view`;
the EHR endpoints in `api_auth.api_client_required`; the Questionnaire is public."""

from django.urls import path

from screening.fhir import views as fhir_views

app_name = "fhir"

urlpatterns = [
    path(
        "Questionnaire/<str:version>",
        fhir_views.questionnaire_detail,
        name="questionnaire",
    ),
    path("Bundle", fhir_views.bundle_search, name="bundle_search"),
    path(
        "QuestionnaireResponse",
        fhir_views.questionnaire_response_create,
        name="questionnaire_response_create",
    ),
    path(
        "staff/submissions/<uuid:public_id>/bundle.json",
        fhir_views.staff_submission_bundle,
        name="staff_submission_bundle",
    ),
]
