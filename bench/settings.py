"""Settings for the benchmarks (bench/README.md): the project's settings, read from the
environment as in production, plus the benchmark-only apps and their URLs.

The benchmarks run every app process (gunicorn, Celery, manage.py) with
DJANGO_SETTINGS_MODULE=bench.settings (bench/harness.py). Production never names this
module, so no environment variable there can mount a benchmark app.
"""

from clinic.settings import *  # noqa: F403 - every project setting, as production reads it

# bench.bareinsert: one view, one INSERT; bench_submit.py's baseline for the final submit.
INSTALLED_APPS = [*INSTALLED_APPS, "bench.bareinsert"]  # noqa: F405
ROOT_URLCONF = "bench.urls"
