"""The nursery engine's tests are pure: no Django settings, no database (they run with `-p no:django`)."""

import pytest


@pytest.fixture(autouse=True)
def _isolated_files():
    """Override the project-wide autouse fixture, which needs Django's settings; the engine uses none."""
    return
