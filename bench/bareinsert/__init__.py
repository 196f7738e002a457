"""A benchmark-only Django app: one view that does one INSERT.

It is the baseline of `bench/bench_submit.py`: the same gunicorn, middleware and
PostgreSQL as the intake, with none of the intake's work. Installed only by the
benchmark settings (bench/settings.py), never in production.
"""
