"""Exactly once by idempotency key when two requests of one intake run at the same time.

The intake's INSERT is the check for the key (screening.domain.intake._intake_save): the
second request's INSERT waits for the first one's transaction and then fails on the unique
key, and the second request returns the submission the first one stored.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from screening.domain.intake import intake_store_urgent, intake_submit
from screening.models import Patient, ScreeningResult, Submission

# SQLite runs one writer at a time: its requests cannot overlap.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


# What the urgent page has stored: about you, pregnancy, symptoms and urgent answers.
SO_FAR = ("age_years", "sex", "pregnant", "breastfeeding", "symptoms", "red_flags")


def _at_once(count: int, call) -> list:
    """Run `call` in `count` threads (one connection each), started together."""
    start = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        try:
            start.wait()
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _submit(answers, patient_details, key):
    return lambda: intake_submit(
        answers=answers, patient_details=patient_details, idempotency_key=key, language="en"
    )


def test_final_posts_of_one_intake_at_once_store_it_once(answers, patient_details):
    results = _at_once(4, _submit(answers, patient_details, "one-key"))
    assert all(isinstance(result, Submission) for result in results), results
    assert len({result.pk for result in results}) == 1
    assert Submission.objects.count() == Patient.objects.count() == 1
    assert ScreeningResult.objects.count() == 1


def test_final_post_at_once_with_the_urgent_store_completes_it(answers, patient_details):
    answers["red_flags"]["chest_pain"] = True

    def urgent():
        return intake_store_urgent(
            answers={key: answers[key] for key in SO_FAR},
            patient_details=patient_details,
            idempotency_key="urgent-key",
            language="en",
        )

    final = _submit(answers, patient_details, "urgent-key")
    calls = [urgent, final]
    results = _at_once(2, lambda: calls.pop()())
    assert all(isinstance(result, Submission) for result in results), results
    submission = Submission.objects.get()
    assert submission.is_complete is True
    assert Patient.objects.count() == 1
    assert submission.results.count() in (1, 2)  # 1 when the final POST went first


def test_intake_of_one_new_patient_at_once_is_one_patient(answers, patient_details):
    keys = iter(["a", "b", "c", "d"])
    lock = threading.Lock()

    def submit():
        with lock:
            key = next(keys)
        return _submit(answers, patient_details, key)()

    results = _at_once(4, submit)
    assert all(isinstance(result, Submission) for result in results), results
    assert Submission.objects.count() == 4
    assert Patient.objects.count() == 1
