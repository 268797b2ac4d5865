"""The OIDC relying party against a fake OpenID provider living inside the test (no network).

The fake OP signs ID tokens with an RSA key generated here (joserfc), serves discovery, JWKS, token and
userinfo through the provider's transport, and checks PKCE (S256), the redirect URI and client auth.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from madoguchi.accounts.identity.base import IdentityProviderError
from madoguchi.accounts.identity.contrib import oidc
from madoguchi.accounts.identity.registry import register
from madoguchi.accounts.models import IdentityLink
from madoguchi.accounts.tests import factories
from madoguchi.core.models import AuditEvent

ISSUER = "https://op.example.jp"
CLIENT_ID = "madoguchi-midori"
CLIENT_SECRET = "s3cret:with/odd chars"
CALLBACK = "http://127.0.0.1:8000/mypage/identity/oidc/callback/"


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class FakeOP:
    """Just enough of an OpenID provider: one user, authorization codes, PKCE, signed ID tokens."""

    def __init__(self, claims: dict) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "op-key-1", "use": "sig", "alg": "RS256"})
        self.keys = KeySet([self.key])
        self.claims = claims
        self.codes: dict[str, dict] = {}
        self.id_token_overrides: dict = {}
        self.signing_keys = self.keys
        self.userinfo = dict(claims)
        self.calls: list[str] = []
        self.kid = "op-key-1"

    # what the resident's browser does at the OP
    def authorize(self, location: str) -> dict:
        parts = urlsplit(location)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{ISSUER}/authorize"
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        assert query["response_type"] == "code"
        assert query["client_id"] == CLIENT_ID
        assert query["redirect_uri"] == CALLBACK
        assert query["code_challenge_method"] == "S256"
        assert set(query["scope"].split()) >= {"openid", "profile", "address"}
        code = secrets.token_urlsafe(16)
        self.codes[code] = query
        return {"code": code, "state": query["state"]}

    # the transport the relying party calls
    def get_json(self, url: str, *, headers=None) -> dict:
        self.calls.append(url)
        if url == f"{ISSUER}/.well-known/openid-configuration":
            return {
                "issuer": ISSUER,
                "authorization_endpoint": f"{ISSUER}/authorize",
                "token_endpoint": f"{ISSUER}/token",
                "jwks_uri": f"{ISSUER}/jwks",
                "userinfo_endpoint": f"{ISSUER}/userinfo",
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            }
        if url == f"{ISSUER}/jwks":
            return self.keys.as_dict(private=False)
        if url == f"{ISSUER}/userinfo":
            assert headers["Authorization"] == "Bearer at-1"
            return self.userinfo
        raise AssertionError(f"unexpected GET {url}")

    def post_form(self, url: str, data: dict, *, headers=None) -> dict:
        self.calls.append(url)
        assert url == f"{ISSUER}/token"
        expected = base64.b64encode(b"madoguchi-midori:s3cret%3Awith%2Fodd%20chars").decode()
        assert headers["Authorization"] == f"Basic {expected}"
        request = self.codes.pop(data["code"], None)
        if request is None:
            return {"error": "invalid_grant"}
        if _s256(data["code_verifier"]) != request["code_challenge"] or data["redirect_uri"] != CALLBACK:
            return {"error": "invalid_grant"}
        now = int(time.time())
        payload = {
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "sub": self.claims["sub"],
            "iat": now,
            "exp": now + 300,
            "nonce": request["nonce"],
            **self.id_token_overrides,
        }
        id_token = jwt.encode({"alg": "RS256", "kid": self.kid}, payload, self.signing_keys)
        return {"access_token": "at-1", "token_type": "Bearer", "id_token": id_token}


CLAIMS = {
    "sub": "op-user-42",
    "name": "緑川 花子",
    "birthdate": "1985-04-01",
    "address": {"formatted": "みどり県みどり市緑町3-12", "postal_code": "000-0021"},
}


@pytest.fixture
def op(db, settings, monkeypatch):  # the provider's metadata and keys are cached in the database cache
    settings.OIDC_ISSUER_URL = ISSUER
    settings.OIDC_CLIENT_ID = CLIENT_ID
    settings.OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_SCOPES = "openid profile address"
    settings.SITE_URL = "http://127.0.0.1:8000"
    fake = FakeOP(dict(CLAIMS))
    monkeypatch.setattr(oidc.OIDCProvider, "transport", fake)
    return fake


@pytest.fixture
def resident_client(client, resident):
    client.force_login(resident)
    return client


def _login_at_op(client, op) -> dict:
    response = client.get(reverse("portal:identity_start", args=["oidc"]))
    assert response.status_code == 302
    return op.authorize(response["Location"])


def test_disabled_without_configuration(settings, resident_client):
    settings.OIDC_ISSUER_URL = ""
    settings.OIDC_CLIENT_ID = ""
    assert register.get("oidc") is None
    assert register.enabled() == []
    assert resident_client.get(reverse("portal:identity_start", args=["oidc"])).status_code == 404
    assert resident_client.get(reverse("portal:identity_callback", args=["oidc"])).status_code == 404
    page = resident_client.get(reverse("portal:mypage")).content.decode()
    assert "identity/oidc/start" not in page
    assert "市民課の窓口で" in page


def test_full_flow_links_the_matching_resident(db, op, resident_client, resident, hanako):
    page = resident_client.get(reverse("portal:mypage")).content.decode()
    assert reverse("portal:identity_start", args=["oidc"]) in page

    answer = _login_at_op(resident_client, op)
    response = resident_client.get(reverse("portal:identity_callback", args=["oidc"]), answer)

    assert response.status_code == 302
    assert response.url == reverse("portal:mypage")
    link = IdentityLink.objects.get(user=resident)
    assert (link.person, link.method, link.assurance_level) == (hanako, "idp", "substantial")
    assert (link.provider, link.subject) == ("oidc", "op-user-42")
    page = resident_client.get(reverse("portal:mypage")).content.decode()
    assert "本人確認済み（本人確認サービス）" in page
    assert f"{ISSUER}/token" in op.calls and f"{ISSUER}/userinfo" in op.calls
    assert AuditEvent.objects.filter(action="match", person_id=hanako.pk).exists()


def test_a_second_use_of_the_callback_is_refused(db, op, resident_client, resident, hanako):
    answer = _login_at_op(resident_client, op)
    resident_client.get(reverse("portal:identity_callback", args=["oidc"]), answer)
    IdentityLink.objects.all().delete()  # even if the first link were gone, the same answer is spent

    response = resident_client.get(reverse("portal:identity_callback", args=["oidc"]), answer, follow=True)
    assert "有効期限が切れたか" in response.content.decode()
    assert not IdentityLink.objects.exists()


def test_no_match_says_why_and_links_nobody(db, op, resident_client, resident, hanako):
    op.userinfo = {**CLAIMS, "address": "みどり県みどり市緑町9-9"}
    answer = _login_at_op(resident_client, op)
    response = resident_client.get(reverse("portal:identity_callback", args=["oidc"]), answer, follow=True)
    assert "一致する住民記録が見つかりませんでした" in response.content.decode()
    assert not IdentityLink.objects.exists()


def _complete(rf_request_factory, op, session_state: dict, query: dict):
    request = rf_request_factory.get("/mypage/identity/oidc/callback/", query)
    request.session = {oidc.SESSION_KEY: session_state}
    return oidc.OIDCProvider().complete_login(request)


@pytest.fixture
def started(rf, op):
    """A login started by the provider itself: (session state, the OP's answer)."""
    request = rf.get("/mypage/identity/oidc/start/")
    request.session = {}
    response = oidc.OIDCProvider().start_login(request)
    answer = op.authorize(response["Location"])
    return request.session[oidc.SESSION_KEY], answer


def test_start_sends_pkce_state_and_nonce(rf, op):
    request = rf.get("/")
    request.session = {}
    location = oidc.OIDCProvider().start_login(request)["Location"]
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    pending = request.session[oidc.SESSION_KEY]
    assert query["state"] == pending["state"] and query["nonce"] == pending["nonce"]
    assert query["code_challenge"] == _s256(pending["verifier"])
    assert len(pending["verifier"]) >= 43
    assert "client_secret" not in location and pending["verifier"] not in location


def test_claims_come_back_verified(rf, op, started):
    state, answer = started
    claims = _complete(rf, op, state, answer)
    assert claims["sub"] == "op-user-42"
    assert claims["name"] == "緑川 花子"
    assert claims["birthdate"] == "1985-04-01"
    assert claims["issuer"] == ISSUER


@pytest.mark.parametrize(
    "override",
    [
        {"nonce": "replayed-nonce"},
        {"aud": "someone-else"},
        {"iss": "https://evil.example"},
        {"exp": int(time.time()) - 3600},
    ],
)
def test_a_bad_id_token_is_refused(rf, op, started, override):
    op.id_token_overrides = override
    state, answer = started
    with pytest.raises(IdentityProviderError) as exc:
        _complete(rf, op, state, answer)
    assert exc.value.code == "bad_response"


def test_a_token_signed_by_another_key_is_refused(rf, op, started):
    op.signing_keys = KeySet([RSAKey.generate_key(2048, parameters={"kid": "op-key-1", "alg": "RS256"})])
    state, answer = started
    with pytest.raises(IdentityProviderError) as exc:
        _complete(rf, op, state, answer)
    assert exc.value.code == "bad_response"


def test_rotated_keys_are_fetched_again(rf, op, started):
    state, answer = started
    oidc.OIDCProvider()._keys(oidc.OIDCProvider().discovery())  # the old key set is cached
    op.key = RSAKey.generate_key(2048, parameters={"kid": "op-key-2", "use": "sig", "alg": "RS256"})
    op.keys = op.signing_keys = KeySet([op.key])
    op.kid = "op-key-2"
    claims = _complete(rf, op, state, answer)
    assert claims["sub"] == "op-user-42"


def test_a_wrong_state_or_verifier_is_refused(rf, op, started):
    state, answer = started
    with pytest.raises(IdentityProviderError) as exc:
        _complete(rf, op, state, {**answer, "state": "forged"})
    assert exc.value.code == "no_login_in_progress"
    with pytest.raises(IdentityProviderError) as exc:
        _complete(rf, op, {**state, "verifier": "x" * 64}, answer)
    assert exc.value.code == "provider_error"


def test_an_expired_login_is_refused(rf, op, started):
    state, answer = started
    with pytest.raises(IdentityProviderError) as exc:
        _complete(rf, op, {**state, "started": state["started"] - oidc.LOGIN_MAX_AGE - 1}, answer)
    assert exc.value.code == "no_login_in_progress"


def test_cancelled_at_the_provider(rf, op, started):
    state, _answer = started
    with pytest.raises(IdentityProviderError) as exc:
        _complete(rf, op, state, {"error": "access_denied", "state": state["state"]})
    assert exc.value.code == "cancelled"
    assert "中止" in exc.value.message("ja")


def test_userinfo_of_another_user_is_refused(rf, op, started):
    op.userinfo = {**CLAIMS, "sub": "someone-else"}
    state, answer = started
    with pytest.raises(IdentityProviderError) as exc:
        _complete(rf, op, state, answer)
    assert exc.value.code == "bad_response"


def test_discovery_of_another_issuer_is_refused(rf, op, monkeypatch):
    original = op.get_json

    def lying(url, *, headers=None):
        data = original(url, headers=headers)
        return {**data, "issuer": "https://evil.example"} if url.endswith("openid-configuration") else data

    monkeypatch.setattr(op, "get_json", lying)
    with pytest.raises(IdentityProviderError) as exc:
        oidc.OIDCProvider().discovery()
    assert exc.value.code == "bad_response"


def test_only_https_endpoints_are_called():
    with pytest.raises(IdentityProviderError):
        oidc._checked_url("http://op.example.jp/token")
    with pytest.raises(IdentityProviderError):
        oidc._checked_url("file:///etc/passwd")
    assert oidc._checked_url("https://op.example.jp/token")
    assert oidc._checked_url("http://localhost:8080/token")


def test_the_provider_unreachable_is_a_message_not_an_error_page(db, settings, resident_client, monkeypatch):
    settings.OIDC_ISSUER_URL = ISSUER
    settings.OIDC_CLIENT_ID = CLIENT_ID

    class Down:
        def get_json(self, url, *, headers=None):
            raise oidc._error("provider_unavailable")

    monkeypatch.setattr(oidc.OIDCProvider, "transport", Down())
    response = resident_client.get(reverse("portal:identity_start", args=["oidc"]), follow=True)
    assert response.status_code == 200
    assert "接続できませんでした" in response.content.decode()


def test_staff_and_anonymous_cannot_start(db, op, client):
    start = reverse("portal:identity_start", args=["oidc"])
    assert client.get(start).status_code == 302  # to the sign-in page
    client.force_login(factories.StaffFactory(reviewer=True))
    assert client.get(start).status_code == 403
