"""Fixed-seed fuzzing: every fuzz test runs the same bounded set of cases on every run.

``FUZZ`` is the common hypothesis profile (derandomized, no deadline, no example database):
a failure found here reproduces exactly on the next run, and each test's ``max_examples``
keeps the whole fuzz suite within a few tens of seconds. Whatever a mutated input makes the
code raise must be an :class:`~xmmframe.errors.XmmframeError`.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

FUZZ = settings(
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)


def fuzz(max_examples: int) -> settings:
    """The fixed-seed profile with a budget of ``max_examples`` cases."""
    return settings(FUZZ, max_examples=max_examples)
