"""Create an API client (an EHR) for the FHIR API and print its token, once.

    python manage.py create_api_client "Practice EHR" --scope read
    python manage.py create_api_client "Practice EHR intake" --scope read --scope write

The token (`<key id>.<secret>`) is printed on standard output and never again: only a
SHA-256 hash of the secret is stored. Hand it to the EHR over a secure channel; to revoke
it, set the client inactive (`ApiClient.active`). Client names are unique. The creation
is audited ("api_client", no staff member and no address: the server's command line).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from screening.domain.audit import audit_record
from screening.fhir.api_auth import api_client_create
from screening.models import ApiClient, AuditEvent


class Command(BaseCommand):
    help = "Create an API client for the FHIR API and print its bearer token once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="who the client is, e.g. the EHR's name")
        parser.add_argument(
            "--scope",
            action="append",
            choices=ApiClient.Scope.values,
            dest="scopes",
            help="read (pull bundles) or write (post responses); repeat for both. Default: read",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["name"].strip()
        if not name:
            raise CommandError("The client needs a name.")
        if ApiClient.objects.filter(name=name).exists():
            raise CommandError(f"An API client named {name!r} already exists.")
        with transaction.atomic():
            client, token = api_client_create(name=name, scopes=options["scopes"] or ["read"])
            audit_record(
                by=None,
                action=AuditEvent.Action.CHANGE,
                what="api_client",
                object_type="api_client",
                object_id=client.key_id,
                detail={"added": True, "scopes": client.scopes},
            )
        self.stderr.write(
            f"Created API client {client.name!r} with scopes {', '.join(client.scopes)}. "
            "The token below is shown once; store it now."
        )
        self.stdout.write(token)
