"""Assertions shared by the API tests."""

from __future__ import annotations

import json
from typing import Any


def post_json(client, url: str, body: Any, **kwargs):
    return client.post(url, data=json.dumps(body), content_type="application/json", **kwargs)


def assert_error(response, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is the API's one error shape, with `status` and (when given) `code`."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) <= {"code", "message", "fields"}, body
    assert isinstance(body["code"], str) and body["code"]
    assert set(body["message"]) == {"ja", "en"}
    assert body["message"]["ja"] and body["message"]["en"]
    for problems in body.get("fields", {}).values():
        assert problems
        for problem in problems:
            assert set(problem) >= {"code", "ja", "en"}, problem
    if code is not None:
        assert body["code"] == code, body
    return body
