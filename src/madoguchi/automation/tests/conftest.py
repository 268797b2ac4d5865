from __future__ import annotations

from pathlib import Path

import pytest

RULES_DIR = Path(__file__).resolve().parents[4] / "rules"


@pytest.fixture
def departments(db):
    from madoguchi.accounts.tests.factories import create_departments

    return create_departments()


@pytest.fixture
def shipped_rules(departments):
    from madoguchi.automation.services import publish_rules

    return publish_rules(paths=[RULES_DIR])


@pytest.fixture
def write_rule(tmp_path):
    def write(rule_id: str, body: str) -> Path:
        path = tmp_path / f"{rule_id}.yaml"
        path.write_text(
            f"id: {rule_id}\nversion: 1\ntitle: {{ja: 見本, en: Sample}}\n{body}", encoding="utf-8"
        )
        return path

    return write
