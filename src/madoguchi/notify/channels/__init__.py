"""Notification channels, a plugin registry: `email`, `sms` and `letter` (`registry.get("sms").send(...)`).

Shape as in Open Forms: `base.py` (the abstract `Channel` and the `OutgoingMessage` it sends), `registry.py`
(the one module-level registry), `contrib/<channel>.py`. Every send is recorded as a `notify.Delivery` row.
"""

from madoguchi.notify.channels.base import Channel, ChannelRefused, OutgoingMessage, SendResult
from madoguchi.notify.channels.registry import registry

__all__ = ["Channel", "ChannelRefused", "OutgoingMessage", "SendResult", "registry", "send"]


def send(channel: str, message: OutgoingMessage) -> SendResult:
    """Send `message` through the channel called `channel` (see `registry.names()`)."""
    # Imported here so that the registry is filled: contrib modules register themselves on import.
    from madoguchi.notify.channels import contrib  # noqa: F401

    return registry.get(channel).deliver(message)
