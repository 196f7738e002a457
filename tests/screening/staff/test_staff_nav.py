"""The staff navigation shows each page only to those who may open it."""


def test_clinician_sees_the_failed_reminders_link(clinician_client):
    response = clinician_client.get("/staff/")
    assert b'href="/staff/reminders/failed/"' in response.content


def test_receptionist_does_not_see_the_failed_reminders_link(receptionist_client):
    response = receptionist_client.get("/staff/")
    assert response.status_code == 200
    assert b'href="/staff/reminders/failed/"' not in response.content
