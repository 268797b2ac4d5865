"""Letters (郵送): queued in the delivery log for the print room; staff print and post the queue."""

from __future__ import annotations

from madoguchi.notify.channels.base import Channel, ChannelRefused, OutgoingMessage
from madoguchi.notify.channels.registry import registry


@registry.register
class LetterChannel(Channel):
    identifier = "letter"
    label_ja = "郵送"
    label_en = "Letter"

    def send(self, message: OutgoingMessage) -> str:
        if not message.to.strip():
            raise ChannelRefused(
                "notify.no_address", "送付先の住所がありません。", "There is no postal address."
            )
        return "queued"
