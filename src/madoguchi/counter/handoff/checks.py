"""A system check: a hand-off configuration file with problems stops the server and the commands at start,
with every problem listed, instead of failing on the first export."""

from __future__ import annotations

from django.core import checks


@checks.register()
def handoff_config(app_configs, **kwargs) -> list[checks.CheckMessage]:
    from .conf import all_options  # here, not at import: it reads YAML (PyYAML costs ~50 ms to import)
    from .config import ConfigError

    try:
        all_options()
    except ConfigError as exc:
        return [
            checks.Error(
                f"The hand-off configuration is not valid:\n{exc}",
                hint="Fix the file named by MADOGUCHI_HANDOFF_CONFIG (docs/handoff.md); "
                "`madoguchi handoff formats` lists the columns each format knows.",
                id="handoff.E001",
            )
        ]
    return []
