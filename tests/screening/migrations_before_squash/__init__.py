"""The app's migrations as they were before the squash (0001 to 0010, at commit 6973aa5),
kept as test data: tests/screening/test_migrations.py builds a database with them and
checks that the squashed migration takes it as up to date. Never loaded by the app."""
