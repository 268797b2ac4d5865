"""Field encryption (AES-256-GCM) for the few values that must be stored encrypted, such as 個人番号.

Keys come from the key ring `settings.FIELD_ENCRYPTION_KEYS` (env `MADOGUCHI_FIELD_KEYS`): comma-separated
`keyid:base64key` entries, newest first, each key 32 random bytes. New values are always encrypted with the
newest key; older keys stay in the ring only to decrypt until `madoguchi mynumber rotate-keys` has
re-encrypted every row, and are then removed.

A token is `keyid:base64url(nonce ‖ ciphertext ‖ tag)` with a fresh random 96-bit nonce per value. The
caller passes `associated_data` that names where the value belongs (table, row): a ciphertext copied to
another row, or a row edited behind our back, fails to decrypt instead of decrypting to the wrong person.

Without configured keys, development and tests use a key derived from SECRET_KEY, with a loud warning;
with MADOGUCHI_PRODUCTION on, that fallback is refused. Nothing here ever logs a plaintext or a key.
"""

from __future__ import annotations

import base64
import binascii
import functools
import logging
import os
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # 96-bit nonce, the size GCM is designed for
DEVELOPMENT_KEY_ID = "dev"
_KEY_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_DEVELOPMENT_INFO = b"madoguchi field encryption development key v1"
_warned_development_key = False


class CryptoError(Exception):
    """A value could not be encrypted or decrypted. The message never contains the value."""


class DecryptionError(CryptoError):
    """The token is malformed, names an unknown key, or was changed (or moved to another row)."""


class KeyConfigurationError(ImproperlyConfigured):
    """MADOGUCHI_FIELD_KEYS is malformed, or missing where a real key is required (production)."""


@dataclass(frozen=True)
class KeyRing:
    """The field keys by id; `newest_id` encrypts, every key decrypts."""

    newest_id: str
    ciphers: dict[str, AESGCM]

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self.ciphers)

    @property
    def is_development(self) -> bool:
        return self.newest_id == DEVELOPMENT_KEY_ID


def _decode_key(key_id: str, text: str) -> bytes:
    try:
        key = _b64decode(text.strip().replace("+", "-").replace("/", "_"))
    except (binascii.Error, ValueError):
        raise KeyConfigurationError(
            f"MADOGUCHI_FIELD_KEYS: key '{key_id}' is not valid base64. "
            "Create a key with `madoguchi mynumber generate-key`."
        ) from None
    if len(key) != KEY_BYTES:
        raise KeyConfigurationError(
            f"MADOGUCHI_FIELD_KEYS: key '{key_id}' has {len(key)} bytes; AES-256 needs {KEY_BYTES}. "
            "Create a key with `madoguchi mynumber generate-key`."
        )
    return key


def parse_key_ring(entries: Iterable[str]) -> KeyRing:
    """Build a ring from `keyid:base64key` entries, newest first."""
    ciphers: dict[str, AESGCM] = {}
    for entry in entries:
        entry = entry.strip()
        if not entry:
            continue
        key_id, separator, encoded = entry.partition(":")
        key_id = key_id.strip()
        if not separator or not _KEY_ID_RE.match(key_id):
            raise KeyConfigurationError(
                "MADOGUCHI_FIELD_KEYS must be comma-separated 'keyid:base64key' entries, newest first; "
                "a key id is 1–32 letters, digits, '_' or '-'."
            )
        if key_id in ciphers:
            raise KeyConfigurationError(f"MADOGUCHI_FIELD_KEYS: key id '{key_id}' appears twice.")
        ciphers[key_id] = AESGCM(_decode_key(key_id, encoded))
    if not ciphers:
        raise KeyConfigurationError("MADOGUCHI_FIELD_KEYS is empty.")
    return KeyRing(newest_id=next(iter(ciphers)), ciphers=ciphers)


def _development_ring(secret_key: str) -> KeyRing:
    key = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=_DEVELOPMENT_INFO).derive(
        secret_key.encode("utf-8")
    )
    return KeyRing(newest_id=DEVELOPMENT_KEY_ID, ciphers={DEVELOPMENT_KEY_ID: AESGCM(key)})


def _configured_entries() -> tuple[str, ...]:
    raw = getattr(settings, "FIELD_ENCRYPTION_KEYS", ())
    if isinstance(raw, str):
        raw = raw.split(",")
    return tuple(entry.strip() for entry in raw if entry and entry.strip())


@functools.lru_cache(maxsize=8)
def _ring_for(entries: tuple[str, ...], secret_key: str, production: bool) -> KeyRing:
    global _warned_development_key
    if entries:
        return parse_key_ring(entries)
    if production:
        raise KeyConfigurationError(
            "MADOGUCHI_FIELD_KEYS is not set, and MADOGUCHI_PRODUCTION is on: personal data cannot be "
            "encrypted with a development key. Create a key with `madoguchi mynumber generate-key`, "
            "put it in MADOGUCHI_FIELD_KEYS and keep a copy in your key escrow."
        )
    if not _warned_development_key:
        _warned_development_key = True
        logger.warning(
            "MADOGUCHI_FIELD_KEYS is not set: encrypted fields use a DEVELOPMENT key derived from "
            "MADOGUCHI_SECRET_KEY. Never store real personal data like this; set MADOGUCHI_FIELD_KEYS."
        )
    return _development_ring(secret_key)


def key_ring() -> KeyRing:
    """The key ring of the current settings (cached per configuration)."""
    return _ring_for(
        _configured_entries(), str(settings.SECRET_KEY), bool(getattr(settings, "PRODUCTION", False))
    )


def generate_key_entry(key_id: str) -> str:
    """A new `keyid:base64key` entry for MADOGUCHI_FIELD_KEYS (32 random bytes)."""
    if not _KEY_ID_RE.match(key_id):
        raise ValueError("a key id is 1–32 letters, digits, '_' or '-'")
    return f"{key_id}:{base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode('ascii')}"


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    """Strict URL-safe base64 (padding optional): stray characters are an error, not skipped."""
    return base64.b64decode(
        text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4), altchars=b"-_", validate=True
    )


def key_id_of(token: str) -> str:
    """The id of the key a token was encrypted with."""
    key_id, separator, _body = token.partition(":")
    if not separator or not _KEY_ID_RE.match(key_id):
        raise DecryptionError("not an encrypted field value (no key id)")
    return key_id


def encrypt(plaintext: str, *, associated_data: bytes, ring: KeyRing | None = None) -> str:
    """Encrypt `plaintext` with the newest key; `associated_data` binds it to where it is stored."""
    ring = ring or key_ring()
    nonce = os.urandom(NONCE_BYTES)
    sealed = ring.ciphers[ring.newest_id].encrypt(nonce, plaintext.encode("utf-8"), associated_data)
    return f"{ring.newest_id}:{_b64encode(nonce + sealed)}"


def decrypt(token: str, *, associated_data: bytes, ring: KeyRing | None = None) -> str:
    """The plaintext of `token`; DecryptionError when it was altered, moved, or its key is gone."""
    ring = ring or key_ring()
    key_id = key_id_of(token)
    cipher = ring.ciphers.get(key_id)
    if cipher is None:
        raise DecryptionError(
            f"key '{key_id}' is not in MADOGUCHI_FIELD_KEYS (removed before `mynumber rotate-keys` finished?)"
        )
    try:
        blob = _b64decode(token.partition(":")[2])
    except (binascii.Error, ValueError):
        raise DecryptionError(f"encrypted value (key '{key_id}') is not valid base64") from None
    if len(blob) <= NONCE_BYTES + 16:
        raise DecryptionError(f"encrypted value (key '{key_id}') is too short")
    try:
        plain = cipher.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], associated_data)
    except InvalidTag:
        raise DecryptionError(
            f"encrypted value (key '{key_id}') failed authentication: it was changed or belongs elsewhere"
        ) from None
    return plain.decode("utf-8")


def needs_rotation(token: str, *, ring: KeyRing | None = None) -> bool:
    ring = ring or key_ring()
    return key_id_of(token) != ring.newest_id


def rotate(token: str, *, associated_data: bytes, ring: KeyRing | None = None) -> str:
    """The same value encrypted with the newest key (a new nonce); unchanged when already on it."""
    ring = ring or key_ring()
    if not needs_rotation(token, ring=ring):
        return token
    return encrypt(
        decrypt(token, associated_data=associated_data, ring=ring), associated_data=associated_data, ring=ring
    )
