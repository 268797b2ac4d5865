"""JSON with Japanese as itself (not \\uXXXX escapes), so responses read well in curl and logs."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from ninja.renderers import JSONRenderer


class Utf8JSONRenderer(JSONRenderer):
    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> bytes:
        text = json.dumps(data, cls=self.encoder_class, ensure_ascii=False)
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate somewhere: escaped JSON is still valid JSON
            return json.dumps(data, cls=self.encoder_class).encode("ascii")
