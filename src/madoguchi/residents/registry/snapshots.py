"""History snapshots: the changed items of a ResidentChange as JSON, and putting them back into a state."""

from __future__ import annotations

import datetime as dt

from .layout import DATE_FIELDS, STATE_FIELDS

_INDEX = {name: i for i, name in enumerate(STATE_FIELDS)}


def snapshot_value(value):
    """A state value as JSON keeps it: dates as ISO text, everything else as it is."""
    return value.isoformat() if isinstance(value, dt.date) else value


def restore(state: list, snapshot: dict) -> None:
    """Put the values of a snapshot back into a state list (in STATE_FIELDS order)."""
    for name, value in snapshot.items():
        index = _INDEX.get(name)
        if index is not None:
            state[index] = dt.date.fromisoformat(value) if name in DATE_FIELDS and value else value
