"""`make run`'s process runner: honcho starting the Procfile, given longer to stop.

    DJANGO_DEBUG=true .venv/bin/python -m clinic.run_dev

honcho sends SIGKILL to any process still running 5 seconds after its SIGTERM (Ctrl-C),
a constant it has no option for. The Celery worker's warm shutdown on the development
filesystem broker often takes longer than that on a busy laptop, so Ctrl-C ended with
"sending SIGKILL to worker.1" and "stopped (rc=-9)": a kill that can cut an email send
short. This gives it STOP_GRACE_SECONDS instead; everything else is plain `honcho start`
(production runs the Procfile under its own process manager, docs/production.md).
"""

from __future__ import annotations

import sys

import honcho.manager
from honcho.command import main

STOP_GRACE_SECONDS = 30


def run(argv: list[str] | None = None) -> None:
    """`honcho start` (or the honcho command line given) with the longer grace period."""
    honcho.manager.KILL_WAIT = STOP_GRACE_SECONDS  # read by Manager.loop at each check
    main(["start"] if argv is None else argv)


if __name__ == "__main__":
    run(sys.argv[1:] or None)
