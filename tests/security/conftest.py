"""Hypothesis profiles for the fuzz tests (docs/security.md):

- default: bounded example counts (set per test), shrinking on.
- `--hypothesis-profile=fuzz-no-shrink`: report a failure at once, unshrunk (quicker when
  a failing example is slow to run).

Example counts are set per test; `FUZZ_EXAMPLES=1000` raises them (test_fuzz.py).
"""

from hypothesis import Phase, settings

settings.register_profile(
    "fuzz-no-shrink", phases=[Phase.explicit, Phase.reuse, Phase.generate], print_blob=True
)
