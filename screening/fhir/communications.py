"""A submission's messages to the patient as FHIR R4 Communication resources, for its
export Bundle (`bundle.submission_bundle`): one for each message the clinic sent (to the
patient, about the QuestionnaireResponse) and one for the patient's reply (from the
patient, `inResponseTo` the message). Pure mapping: plain data in, resources out."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from fhir.resources.R4B.communication import Communication, CommunicationPayload
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.reference import Reference

MESSAGE_SYSTEM = "urn:b12-clinic:message"


@dataclass(frozen=True)
class MessageData:
    public_id: uuid.UUID
    sent_at: datetime.datetime
    body: str
    reply: str = ""
    replied_at: datetime.datetime | None = None


def _urn(value: str) -> str:
    return f"urn:uuid:{value}"


def communications(
    messages: list[MessageData], *, subject: Reference, about: Reference
) -> list[Communication]:
    """Each message, then its reply if there is one. Ids are stable: a message's is its
    public id; its reply's is derived from it."""
    resources = []
    for message in messages:
        message_id = str(message.public_id)
        resources.append(
            Communication(
                id=message_id,
                identifier=[Identifier(system=MESSAGE_SYSTEM, value=message_id)],
                status="completed",
                subject=subject,
                recipient=[subject],
                about=[about],
                sent=message.sent_at,
                payload=[CommunicationPayload(contentString=message.body)],
            )
        )
        if message.replied_at is not None:
            resources.append(
                Communication(
                    id=str(uuid.uuid5(message.public_id, "reply")),
                    status="completed",
                    subject=subject,
                    sender=subject,
                    inResponseTo=[Reference(reference=_urn(message_id))],
                    about=[about],
                    sent=message.replied_at,
                    payload=[CommunicationPayload(contentString=message.reply)],
                )
            )
    return resources
