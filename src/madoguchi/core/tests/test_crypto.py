"""Field encryption: AES-GCM round trip, key ring, rotation, and refusal of anything altered or misplaced."""

from __future__ import annotations

import base64
import logging

import pytest
from django.core.exceptions import ImproperlyConfigured

from madoguchi.core import crypto

OLD = crypto.generate_key_entry("k2024")
NEW = crypto.generate_key_entry("k2025")
AD = b"mynumber.personalnumber:person=7"


@pytest.fixture
def keys(settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    settings.PRODUCTION = False
    return settings


def _flip_last_byte(token: str) -> str:
    key_id, _, body = token.partition(":")
    blob = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    blob[-1] ^= 0x01
    return f"{key_id}:{base64.urlsafe_b64encode(bytes(blob)).rstrip(b'=').decode()}"


def test_round_trip_with_the_newest_key(keys):
    token = crypto.encrypt("123456789018", associated_data=AD)

    assert token.startswith("k2025:")
    assert "123456789018" not in token
    assert crypto.decrypt(token, associated_data=AD) == "123456789018"


def test_every_encryption_uses_a_fresh_nonce(keys):
    first = crypto.encrypt("同じ値", associated_data=AD)
    second = crypto.encrypt("同じ値", associated_data=AD)

    assert first != second
    assert crypto.decrypt(first, associated_data=AD) == crypto.decrypt(second, associated_data=AD) == "同じ値"


def test_token_holds_key_id_nonce_and_tag(keys):
    token = crypto.encrypt("x", associated_data=AD)
    body = token.partition(":")[2]
    blob = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))

    assert crypto.key_id_of(token) == "k2025"
    assert len(blob) == crypto.NONCE_BYTES + 1 + 16  # 96-bit nonce, one byte, 128-bit tag


def test_tampered_ciphertext_is_rejected(keys):
    token = crypto.encrypt("123456789018", associated_data=AD)

    with pytest.raises(crypto.DecryptionError) as excinfo:
        crypto.decrypt(_flip_last_byte(token), associated_data=AD)
    assert "123456789018" not in str(excinfo.value)


def test_other_associated_data_is_rejected(keys):
    """A ciphertext copied to another person's row does not decrypt there."""
    token = crypto.encrypt("123456789018", associated_data=AD)

    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token, associated_data=b"mynumber.personalnumber:person=8")


def test_relabelled_key_id_is_rejected(keys):
    token = crypto.encrypt("123456789018", associated_data=AD)

    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt("k2024:" + token.partition(":")[2], associated_data=AD)


@pytest.mark.parametrize("token", ["", "no-key-id", "k2025:", "k2025:!!!!", "k2025:AAAA", "bad id:AAAA"])
def test_malformed_tokens_are_rejected(keys, token):
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token, associated_data=AD)


def test_unknown_key_is_named_in_the_error(keys, settings):
    token = crypto.encrypt("x", associated_data=AD)
    settings.FIELD_ENCRYPTION_KEYS = [OLD]

    with pytest.raises(crypto.DecryptionError, match="k2025"):
        crypto.decrypt(token, associated_data=AD)


def test_older_keys_still_decrypt(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    token = crypto.encrypt("123456789018", associated_data=AD)
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]

    assert crypto.key_id_of(token) == "k2024"
    assert crypto.decrypt(token, associated_data=AD) == "123456789018"


def test_rotate_moves_a_token_to_the_newest_key_and_is_idempotent(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    token = crypto.encrypt("123456789018", associated_data=AD)
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]

    rotated = crypto.rotate(token, associated_data=AD)

    assert crypto.key_id_of(rotated) == "k2025"
    assert not crypto.needs_rotation(rotated)
    assert crypto.rotate(rotated, associated_data=AD) == rotated
    settings.FIELD_ENCRYPTION_KEYS = [NEW]  # the old key may go once every row is rotated
    assert crypto.decrypt(rotated, associated_data=AD) == "123456789018"


def test_rotate_refuses_a_tampered_token(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    token = crypto.encrypt("x", associated_data=AD)
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]

    with pytest.raises(crypto.DecryptionError):
        crypto.rotate(_flip_last_byte(token), associated_data=AD)


def test_standard_base64_keys_are_accepted(settings):
    raw = bytes(range(32))
    settings.FIELD_ENCRYPTION_KEYS = f"std:{base64.b64encode(raw).decode()}"  # a plain string works too

    token = crypto.encrypt("x", associated_data=AD)

    assert crypto.key_ring().key_ids == ("std",)
    assert crypto.decrypt(token, associated_data=AD) == "x"


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (["nokey"], "keyid:base64key"),
        (["bad id:" + NEW.partition(":")[2]], "keyid:base64key"),
        (["short:" + base64.urlsafe_b64encode(b"0" * 16).decode()], "32"),
        (["k1:%%%%"], "base64"),
        ([NEW, NEW], "twice"),
    ],
)
def test_malformed_key_ring_is_refused_with_a_reason(settings, entries, message):
    settings.FIELD_ENCRYPTION_KEYS = entries

    with pytest.raises(ImproperlyConfigured, match=message) as excinfo:
        crypto.key_ring()
    assert NEW.partition(":")[2] not in str(excinfo.value)  # a key is never repeated in an error


def test_development_key_without_configuration_warns_loudly(settings, caplog, monkeypatch):
    settings.FIELD_ENCRYPTION_KEYS = []
    settings.PRODUCTION = False
    settings.SECRET_KEY = "test-secret-for-the-development-key"
    monkeypatch.setattr(crypto, "_warned_development_key", False)
    crypto._ring_for.cache_clear()

    with caplog.at_level(logging.WARNING, logger="madoguchi.core.crypto"):
        token = crypto.encrypt("x", associated_data=AD)

    assert crypto.key_id_of(token) == crypto.DEVELOPMENT_KEY_ID
    assert "DEVELOPMENT key" in caplog.text
    assert crypto.decrypt(token, associated_data=AD) == "x"


def test_development_key_is_deterministic_per_secret_key(settings):
    settings.FIELD_ENCRYPTION_KEYS = []
    settings.PRODUCTION = False
    settings.SECRET_KEY = "secret-one"
    token = crypto.encrypt("x", associated_data=AD)

    assert crypto.decrypt(token, associated_data=AD) == "x"  # same key derived again
    settings.SECRET_KEY = "secret-two"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token, associated_data=AD)


def test_development_key_is_refused_in_production(settings):
    settings.FIELD_ENCRYPTION_KEYS = []
    settings.PRODUCTION = True

    with pytest.raises(ImproperlyConfigured, match="MADOGUCHI_PRODUCTION"):
        crypto.encrypt("x", associated_data=AD)


def test_configured_keys_work_in_production(settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW]
    settings.PRODUCTION = True

    assert crypto.decrypt(crypto.encrypt("x", associated_data=AD), associated_data=AD) == "x"


def test_generated_keys_are_32_random_bytes():
    first, second = crypto.generate_key_entry("a"), crypto.generate_key_entry("a")

    assert first != second
    assert len(base64.urlsafe_b64decode(first.partition(":")[2])) == 32
    with pytest.raises(ValueError):
        crypto.generate_key_entry("not a valid id")


def test_nothing_is_logged_while_encrypting_and_decrypting(keys, caplog):
    with caplog.at_level(logging.DEBUG):
        token = crypto.encrypt("123456789018", associated_data=AD)
        crypto.decrypt(token, associated_data=AD)
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt(_flip_last_byte(token), associated_data=AD)

    assert "123456789018" not in caplog.text
