import pytest

from madoguchi.jp import postal


@pytest.fixture(autouse=True)
def _isolated_files():
    """Overrides the root conftest's fixture, which needs pytest-django's ``settings``.

    These tests are pure (no Django), so they run with ``-p no:django`` and touch no settings or files.
    """


@pytest.fixture(autouse=True)
def _no_local_postal_codes():
    """Tests register fictional codes; none may leak into the next test."""
    saved = dict(postal.local_postal_codes())
    postal.clear_local_postal_codes()
    yield
    postal.clear_local_postal_codes()
    postal.LOCAL_POSTAL_CODES.update(saved)
