"""Screen answers from a JSON file and print the results; writes nothing anywhere.

    python manage.py screen answers.json
    python manage.py screen - < answers.json

FILE holds one answers object (shared/spec/answers.md) or a JSON list of them; `-`
reads standard input. The result object (or a list of results, in the same order)
is printed as JSON on standard output. Nothing is read from or written to the
database, so it is safe to run against production settings.

Invalid JSON (or JSON nested too deeply), input over DATA_UPLOAD_MAX_MEMORY_SIZE
characters (the web's bound, 2.5 MB by default) or invalid answers: exit status 2, and
on standard error one line per problem naming the key path, e.g.
`symptoms.fatigue.severity: must be 0-10`, or `[1].symptoms.fatigue.severity: must be
0-10` for the second item of a list. The day of screening is today in the clinic's time
zone (CLINIC_TIME_ZONE): a lab dated after it is refused, e.g.
`labs[1].date: must not be after the day of screening (2025-06-15)`.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from screening.engine.rules import screen
from screening.engine.validation import validate_answers

INVALID_EXIT_STATUS = 2


class Command(BaseCommand):
    help = "Screen one answers object, or a JSON list of them, and print the result as JSON."

    # Pure computation: no database, so no reason to run the system checks first.
    requires_system_checks = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="JSON file with answers, or - for standard input")

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["file"]
        # The same size bound as a web request's body (DATA_UPLOAD_MAX_MEMORY_SIZE), read
        # no further than one character past it.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            if path == "-":
                text = sys.stdin.read(limit + 1)
            else:
                with open(path, encoding="utf-8") as handle:
                    text = handle.read(limit + 1)
        except OSError as error:
            self._fail([f"{path}: cannot read ({error.strerror})"])
        except UnicodeDecodeError:
            self._fail([f"{path}: cannot read (not UTF-8 text)"])
        if len(text) > limit:
            self._fail([f"{path}: too large (more than {limit:,} characters)"])
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            self._fail([f"{path}: invalid JSON ({error})"])
        except RecursionError:  # arrays or objects nested about a thousand levels deep
            self._fail([f"{path}: invalid JSON (nested too deeply)"])

        # The day of screening, in the clinic's time zone: a lab dated later is refused (E4).
        today = timezone.localdate()
        items = data if isinstance(data, list) else [data]
        problems = []
        for index, answers in enumerate(items):
            prefix = f"[{index}]" if isinstance(data, list) else ""
            problems += validate_answers(answers, today=today, path=prefix)
        if problems:
            self._fail(problems)

        results = [screen(answers, today=today) for answers in items]
        output = results if isinstance(data, list) else results[0]
        self.stdout.write(json.dumps(output, indent=2, ensure_ascii=False))

    def _fail(self, problems: list[str]) -> None:
        for problem in problems:
            self.stderr.write(problem)
        sys.exit(INVALID_EXIT_STATUS)
