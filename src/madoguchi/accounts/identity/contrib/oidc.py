"""OpenID Connect relying party (authorization code flow with PKCE S256, state and nonce).

Configured by four settings (environment variables in settings.py): OIDC_ISSUER_URL, OIDC_CLIENT_ID,
OIDC_CLIENT_SECRET and OIDC_SCOPES. Without an issuer and a client id the provider is disabled and not
offered. The provider's discovery document and keys are fetched from the issuer (cached for an hour);
the ID token is verified with joserfc (signature, iss, aud, azp, exp, iat, nonce).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import urllib.parse
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from madoguchi.accounts.identity.base import IdentityProvider, IdentityProviderError
from madoguchi.accounts.identity.registry import register

if TYPE_CHECKING:
    import urllib.request

    from joserfc.jwk import KeySet

# authlib and joserfc (with cryptography) are imported where a login uses them, not when the provider is
# registered at start-up: they cost ~0.15 s at every start of a `madoguchi` command.

SESSION_KEY = "identity:oidc"
LOGIN_MAX_AGE = 10 * 60  # seconds between leaving for the provider and coming back
CACHE_SECONDS = 3600
CLOCK_LEEWAY = 60
HTTP_TIMEOUT = 10
SIGNING_ALGORITHMS = ("RS256", "PS256", "ES256")  # never "none", never HS* with a shared secret
DEFAULT_SCOPES = "openid profile address"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
CLAIMS_KEPT = ("sub", "name", "family_name", "given_name", "birthdate", "address")


def _error(code: str) -> IdentityProviderError:
    ja, en = ERRORS[code]
    return IdentityProviderError(code, ja, en)


ERRORS: Mapping[str, tuple[str, str]] = {
    "cancelled": (
        "本人確認サービスでの操作が中止されました。もう一度お試しいただくか、窓口で本人確認を受けてください。",
        "The login at the identity provider was cancelled. Try again, or get verified at the counter.",
    ),
    "provider_error": (
        "本人確認サービスでエラーが起きました。時間をおいてもう一度お試しください。",
        "The identity provider reported an error. Please try again later.",
    ),
    "provider_unavailable": (
        "本人確認サービスに接続できませんでした。時間をおいてもう一度お試しください。",
        "We could not reach the identity provider. Please try again later.",
    ),
    "no_login_in_progress": (
        "本人確認の手続きの有効期限が切れたか、別の画面で始められました。マイページからもう一度お試しください。",
        "This verification expired or was started elsewhere. Please start again from My Page.",
    ),
    "bad_response": (
        "本人確認サービスからの応答を確認できませんでした。もう一度お試しください。",
        "We could not verify the identity provider's answer. Please try again.",
    ),
}


class UrllibTransport:
    """HTTPS calls to the provider with the standard library (no extra dependency); tests replace it.
    urllib.request is imported here, not at start-up, where it would cost every command ~6 ms."""

    def get_json(self, url: str, *, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
        import urllib.request

        request = urllib.request.Request(_checked_url(url), headers={**(headers or {})})  # noqa: S310
        return self._send(request)

    def post_form(
        self, url: str, data: Mapping[str, str], *, headers: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        import urllib.request

        body = urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(  # noqa: S310 - _checked_url allows https only
            _checked_url(url),
            data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
            method="POST",
        )
        return self._send(request)

    def _send(self, request: urllib.request.Request) -> dict[str, Any]:
        import urllib.error
        import urllib.request

        request.add_header("Accept", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:  # noqa: S310
                payload = json.loads(response.read(1_000_000))
        except (urllib.error.URLError, TimeoutError, ValueError) as exc:
            raise _error("provider_unavailable") from exc
        if not isinstance(payload, dict):
            raise _error("bad_response")
        return payload


def _checked_url(url: str) -> str:
    """Only https, except http to this machine (a provider for development)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOCAL_HOSTS):
        return url
    raise _error("bad_response")


@register("oidc")
class OIDCProvider(IdentityProvider):
    label_ja = "本人確認サービス（OpenID Connect）でログインして確認する"
    label_en = "Verify by signing in with the identity provider (OpenID Connect)"
    transport: Any = UrllibTransport()

    # ---- configuration ---------------------------------------------------------------------------------

    @property
    def issuer(self) -> str:
        return str(getattr(settings, "OIDC_ISSUER_URL", "") or "").rstrip("/")

    @property
    def client_id(self) -> str:
        return str(getattr(settings, "OIDC_CLIENT_ID", "") or "")

    @property
    def client_secret(self) -> str:
        return str(getattr(settings, "OIDC_CLIENT_SECRET", "") or "")

    @property
    def scopes(self) -> str:
        scopes = str(getattr(settings, "OIDC_SCOPES", "") or DEFAULT_SCOPES).replace(",", " ").split()
        return " ".join(dict.fromkeys(["openid", *scopes]))

    def is_enabled(self) -> bool:
        return bool(self.issuer and self.client_id)

    def _cache_key(self, what: str) -> str:
        return f"identity:oidc:{what}:{hashlib.sha256(self.issuer.encode()).hexdigest()[:16]}"

    def discovery(self) -> dict[str, Any]:
        """The provider's metadata (/.well-known/openid-configuration); its issuer must be ours exactly."""
        key = self._cache_key("discovery")
        config = cache.get(key)
        if config is None:
            config = self.transport.get_json(f"{self.issuer}/.well-known/openid-configuration")
            if str(config.get("issuer", "")).rstrip("/") != self.issuer or not all(
                isinstance(config.get(name), str)
                for name in ("authorization_endpoint", "token_endpoint", "jwks_uri")
            ):
                raise _error("bad_response")
            cache.set(key, config, CACHE_SECONDS)
        return config

    def _keys(self, config: Mapping[str, Any], *, refresh: bool = False) -> KeySet:
        from joserfc.errors import JoseError
        from joserfc.jwk import KeySet

        key = self._cache_key("jwks")
        jwks = None if refresh else cache.get(key)
        if jwks is None:
            jwks = self.transport.get_json(config["jwks_uri"])
            cache.set(key, jwks, CACHE_SECONDS)
        try:
            return KeySet.import_key_set(jwks)
        except (JoseError, ValueError, KeyError, TypeError) as exc:
            raise _error("bad_response") from exc

    # ---- the flow --------------------------------------------------------------------------------------

    def start_login(self, request: HttpRequest) -> HttpResponse:
        from authlib.common.security import generate_token
        from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
        from authlib.oauth2.rfc7636 import create_s256_code_challenge

        config = self.discovery()
        state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
        request.session[SESSION_KEY] = {
            "state": state,
            "nonce": nonce,
            "verifier": verifier,
            "started": int(time.time()),
        }
        url = prepare_grant_uri(
            config["authorization_endpoint"],
            self.client_id,
            "code",
            redirect_uri=self.callback_url(),
            scope=self.scopes,
            state=state,
            nonce=nonce,
            code_challenge=create_s256_code_challenge(verifier),
            code_challenge_method="S256",
        )
        return HttpResponseRedirect(url)

    def complete_login(self, request: HttpRequest) -> dict[str, Any]:
        pending = request.session.pop(SESSION_KEY, None)  # one use only, whatever happens next
        error = request.GET.get("error", "")
        if error:
            raise _error("cancelled" if error in ("access_denied", "login_required") else "provider_error")
        if not isinstance(pending, dict) or time.time() - pending.get("started", 0) > LOGIN_MAX_AGE:
            raise _error("no_login_in_progress")
        if not secrets.compare_digest(request.GET.get("state", ""), pending["state"]):
            raise _error("no_login_in_progress")
        code = request.GET.get("code", "")
        if not code or len(code) > 2048:
            raise _error("bad_response")
        config = self.discovery()
        tokens = self._exchange_code(config, code=code, verifier=pending["verifier"])
        claims = self._verified_id_token(config, tokens.get("id_token"), nonce=pending["nonce"])
        access_token = tokens.get("access_token")
        if isinstance(config.get("userinfo_endpoint"), str) and isinstance(access_token, str):
            info = self.transport.get_json(
                config["userinfo_endpoint"], headers={"Authorization": f"Bearer {access_token}"}
            )
            if info.get("sub") != claims["sub"]:  # OIDC Core 5.3.2: must be the same user
                raise _error("bad_response")
            claims = {**claims, **info}
        return {key: claims[key] for key in CLAIMS_KEPT if key in claims} | {"issuer": self.issuer}

    def _exchange_code(self, config: Mapping[str, Any], *, code: str, verifier: str) -> dict[str, Any]:
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.callback_url(),
            "code_verifier": verifier,
            "client_id": self.client_id,
        }
        headers: dict[str, str] = {}
        if self.client_secret:
            methods = config.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
            if "client_secret_basic" in methods:
                quote = urllib.parse.quote
                pair = f"{quote(self.client_id, safe='')}:{quote(self.client_secret, safe='')}"
                headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
            else:
                data["client_secret"] = self.client_secret
        tokens = self.transport.post_form(config["token_endpoint"], data, headers=headers)
        if "error" in tokens:
            raise _error("provider_error")
        return tokens

    def _verified_id_token(self, config: Mapping[str, Any], id_token: Any, *, nonce: str) -> dict[str, Any]:
        from joserfc import jwt
        from joserfc.errors import JoseError
        from joserfc.jwt import JWTClaimsRegistry

        if not isinstance(id_token, str) or not id_token:
            raise _error("bad_response")
        supported = config.get("id_token_signing_alg_values_supported") or SIGNING_ALGORITHMS
        algorithms = [alg for alg in SIGNING_ALGORITHMS if alg in supported]
        try:
            try:
                token = jwt.decode(id_token, self._keys(config), algorithms=algorithms)
            except JoseError:  # perhaps the provider rotated its keys: fetch them once more
                token = jwt.decode(id_token, self._keys(config, refresh=True), algorithms=algorithms)
            JWTClaimsRegistry(
                now=int(time.time()),
                leeway=CLOCK_LEEWAY,
                iss={"essential": True, "value": config["issuer"]},
                aud={"essential": True, "value": self.client_id},
                sub={"essential": True},
                exp={"essential": True},
                iat={"essential": True},
                nonce={"essential": True, "value": nonce},
            ).validate(token.claims)
        except (JoseError, ValueError) as exc:
            raise _error("bad_response") from exc
        claims = dict(token.claims)
        audience = claims.get("aud")
        if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != self.client_id:
            raise _error("bad_response")
        return claims
