from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from madoguchi.counter import guide as engine
from madoguchi.procedures.spec import load_procedure_file

REPOSITORY = Path(__file__).resolve().parents[4]
GUIDES_DIR = REPOSITORY / "guides"
PROCEDURES_DIR = REPOSITORY / "procedures"


@pytest.fixture(autouse=True)
def _japanese():
    """A request to /en/… leaves English active in the test thread; reverse() would then build /en/ URLs."""
    translation.activate("ja")
    yield
    translation.activate("ja")


@pytest.fixture(scope="session")
def known_procedures() -> dict[str, engine.ProcedureRef]:
    """The repository's procedure files as the guides see them (no database)."""
    return {
        path.stem: engine.ProcedureRef.from_spec(load_procedure_file(path))
        for path in sorted(Path(settings.PROCEDURES_DIR).glob("*.yaml"))
    }
