"""API clients: tokens stored as hashes only, checked in constant time, created by
`manage.py create_api_client`."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.management import CommandError, call_command

from screening.fhir.api_auth import api_client_create, bearer_token, client_for_token
from screening.models import ApiClient

pytestmark = pytest.mark.django_db


def test_only_the_hash_of_the_secret_is_stored():
    client, token = api_client_create(name="Practice EHR", scopes=["read"])
    key_id, secret = token.split(".", 1)
    client.refresh_from_db()
    assert client.key_id == key_id
    assert client.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = " ".join(str(value) for value in ApiClient.objects.values().get().values())
    assert secret not in stored
    assert len(secret) >= 40


def test_a_token_finds_its_client_and_nothing_else_does():
    client, token = api_client_create(name="Practice EHR", scopes=["read", "write"])
    other, other_token = api_client_create(name="Other EHR", scopes=["read"])
    key_id, secret = token.split(".", 1)
    assert client_for_token(token) == client
    assert client_for_token(other_token) == other
    assert client_for_token(f"{key_id}.{secret}x") is None
    assert client_for_token(f"{key_id}.{other_token.split('.', 1)[1]}") is None
    assert client_for_token(f"nokey.{secret}") is None
    for malformed in ("", key_id, f"{key_id}.", f".{secret}", secret):
        assert client_for_token(malformed) is None
    client.active = False
    client.save()
    assert client_for_token(token) is None


def test_scopes_are_checked_when_created():
    with pytest.raises(ValueError):
        api_client_create(name="EHR", scopes=["admin"])
    with pytest.raises(ValueError):
        api_client_create(name="EHR", scopes=[])
    client, _token = api_client_create(name="EHR", scopes=["write", "write", "read"])
    assert client.scopes == ["write", "read"]


def test_bearer_token_is_read_from_the_authorization_header(rf):
    assert bearer_token(rf.get("/", HTTP_AUTHORIZATION="Bearer abc.def")) == "abc.def"
    assert bearer_token(rf.get("/", HTTP_AUTHORIZATION="bearer  abc.def ")) == "abc.def"
    assert bearer_token(rf.get("/", HTTP_AUTHORIZATION="Basic abc")) is None
    assert bearer_token(rf.get("/", HTTP_AUTHORIZATION="Bearer ")) is None
    assert bearer_token(rf.get("/")) is None


def test_command_prints_the_token_once_and_stores_its_hash():
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_client", "Practice EHR", "--scope", "read", stdout=out, stderr=err)
    token = out.getvalue().strip()
    client = ApiClient.objects.get()
    assert client.name == "Practice EHR"
    assert client.scopes == ["read"]
    assert client_for_token(token) == client
    assert token not in err.getvalue()
    assert "shown once" in err.getvalue()


def test_command_takes_both_scopes_defaults_to_read_and_refuses_a_taken_name():
    call_command(
        "create_api_client", "Writer", "--scope", "read", "--scope", "write", stdout=io.StringIO()
    )
    call_command("create_api_client", "Reader", stdout=io.StringIO(), stderr=io.StringIO())
    assert dict(ApiClient.objects.values_list("name", "scopes")) == {
        "Writer": ["read", "write"],
        "Reader": ["read"],
    }
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_api_client", "Reader", stdout=io.StringIO())
    assert ApiClient.objects.count() == 2
