"""The Celery app. Tasks live in each app's tasks.py; periodic work is in CELERY_BEAT_SCHEDULE."""

import os
import signal
from typing import Any

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")

app = Celery("clinic")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def pool_child_leaves_sigterm_to_the_worker(**kwargs: Any) -> None:
    """A prefork pool child ignores SIGTERM: the worker (its parent) gets it too and shuts
    down warm, letting the child finish its task and exit. honcho (Ctrl-C in `make run`)
    and systemd's default KillMode signal the whole process group; without this the
    children died mid-task and the worker logged "exited with signal 15 (SIGTERM)". A
    hard time limit still ends a stuck child (billiard follows with SIGKILL)."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
