"""FAQ categories and procedure links as data: which department owns a category, which procedure an entry names.

Both tables are YAML files in `faq/data/` (each says in its header where it comes from and how to edit it).
They are read once per process.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Category:  # カテゴリ
    name: str  # the Japanese name, as in the CSV; the key everywhere
    name_en: str
    department_code: str
    life_event: str  # portal life-event guide, or ""

    def name_for(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name


@dataclass(frozen=True)
class CategoryTable:
    categories: dict[str, Category]
    default_department_code: str

    def get(self, name: str) -> Category | None:
        return self.categories.get(name)

    def department_code_for(self, name: str) -> str:
        category = self.categories.get(name)
        return category.department_code if category else self.default_department_code

    def choices(self, lang: str) -> list[tuple[str, str]]:
        return [(c.name, c.name_for(lang)) for c in self.categories.values()]


@cache
def category_table() -> CategoryTable:
    data = yaml.safe_load((DATA_DIR / "categories.yaml").read_text(encoding="utf-8"))
    categories = {
        name: Category(
            name=name,
            name_en=str(row["en"]),
            department_code=str(row["department"]),
            life_event=str(row.get("life_event") or ""),
        )
        for name, row in data["categories"].items()
    }
    return CategoryTable(categories=categories, default_department_code=str(data["default_department"]))


@cache
def procedure_slugs() -> dict[str, str]:
    """FAQ procedure name (Japanese, as in the CSV) → procedure slug."""
    data = yaml.safe_load((DATA_DIR / "procedures.yaml").read_text(encoding="utf-8")) or {}
    return {str(name): str(slug) for name, slug in data.items()}


def procedure_slug_for(procedure_name: str) -> str:
    return procedure_slugs().get(procedure_name.strip(), "")
