"""Suite-wide: the Powertools log handler writes to the stdout of the test that is running.

The handler keeps the stream it was created with; under pytest's capture that is the first test's
capture file, closed once that test ends. Re-pointing it per test keeps every test's logs visible.
"""

import sys

import pytest


@pytest.fixture(autouse=True)
def _logs_to_current_stdout():
    from messenger.core.observability import logger

    logger.registered_handler.stream = sys.stdout
    yield
