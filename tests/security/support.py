"""What the security tests share: FHIR payloads and tokens, and hostile strings."""

from __future__ import annotations

import copy
import json

from screening import fhir
from screening.api_auth import api_client_create
from screening.intake import QUESTIONNAIRE_VERSION
from tests.conftest import VALID_ANSWERS

FHIR_POST_URL = "/fhir/QuestionnaireResponse"
FHIR_JSON = "application/fhir+json"
AUTHORED = "2025-06-15T10:30:00+01:00"
CONTAINED_PATIENT = {
    "resourceType": "Patient",
    "id": "p1",
    "name": [{"given": ["Ann"], "family": "Example"}],
    "birthDate": "1990-04-03",
    "telecom": [{"system": "email", "value": "Ann.Example@example.com"}],
}


def fhir_payload(identifier: str | None = "qr-1", patient: dict | None = None) -> dict:
    """A QuestionnaireResponse for the conftest's valid answers, as an EHR would post it."""
    response = fhir.questionnaire_response(VALID_ANSWERS, version=QUESTIONNAIRE_VERSION)
    data = json.loads(response.model_dump_json())
    data["contained"] = [copy.deepcopy(patient or CONTAINED_PATIENT)]
    data["subject"] = {"reference": "#p1"}
    data["authored"] = AUTHORED
    if identifier:
        data["identifier"] = {"system": "urn:practice-ehr:qr", "value": identifier}
    return data


def api_token(name: str = "Practice EHR", scopes: tuple[str, ...] = ("read", "write")) -> str:
    return api_client_create(name=name, scopes=list(scopes))[1]


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}
