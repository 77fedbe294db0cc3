"""Signatures over event hashes: HMAC-SHA256 (shared key) or Ed25519 (key pair).

A signature covers the ``event_hash`` hex string (ASCII bytes) and is stored base64 with a
``key_id``. Ed25519 needs the optional ``cryptography`` package, imported only when an
Ed25519 key is actually used, so agents that do not sign never load it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any, Protocol

from tooltrail.errors import ConfigError


class Signer(Protocol):
    """Signs an event hash; ``key_id`` names the key for verifiers."""

    key_id: str

    def sign(self, event_hash: str) -> str: ...


class SignatureCheck(Protocol):
    """Checks a base64 signature over an event hash."""

    def verify(self, event_hash: str, signature: str) -> bool: ...


class HmacKey:
    """An HMAC-SHA256 key: signs and verifies (both sides share the secret)."""

    def __init__(self, *, key_id: str, secret: bytes) -> None:
        if not secret:
            raise ConfigError("HMAC signing key must not be empty")
        self.key_id = key_id
        self._secret = secret

    def sign(self, event_hash: str) -> str:
        mac = hmac.new(self._secret, event_hash.encode("ascii"), hashlib.sha256).digest()
        return base64.b64encode(mac).decode("ascii")

    def verify(self, event_hash: str, signature: str) -> bool:
        return hmac.compare_digest(self.sign(event_hash), signature)


def _ed25519() -> Any:
    try:
        from cryptography.hazmat.primitives.asymmetric import (  # noqa: PLC0415 - optional
            ed25519,
        )
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ConfigError(
            "Ed25519 signatures need the 'cryptography' package: pip install 'tooltrail[signing]'"
        ) from exc
    return ed25519


class Ed25519Signer:
    """Signs with an Ed25519 private key (32 raw bytes)."""

    def __init__(self, *, key_id: str, private_key: bytes) -> None:
        ed = _ed25519()
        try:
            self._key = ed.Ed25519PrivateKey.from_private_bytes(private_key)
        except ValueError as exc:
            raise ConfigError(f"invalid Ed25519 private key for {key_id!r}: {exc}") from exc
        self.key_id = key_id

    @classmethod
    def generate(cls, *, key_id: str) -> Ed25519Signer:
        """A fresh key pair (for tests and first-time setup)."""
        from cryptography.hazmat.primitives import serialization  # noqa: PLC0415

        raw = (
            _ed25519()
            .Ed25519PrivateKey.generate()
            .private_bytes(
                serialization.Encoding.Raw,
                serialization.PrivateFormat.Raw,
                serialization.NoEncryption(),
            )
        )
        return cls(key_id=key_id, private_key=raw)

    def public_key(self) -> bytes:
        """The 32 raw bytes of the public key, for :class:`Ed25519Verifier`."""
        from cryptography.hazmat.primitives import serialization  # noqa: PLC0415

        raw: bytes = self._key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return raw

    def sign(self, event_hash: str) -> str:
        return base64.b64encode(self._key.sign(event_hash.encode("ascii"))).decode("ascii")


class Ed25519Verifier:
    """Verifies Ed25519 signatures with a public key (32 raw bytes)."""

    def __init__(self, *, public_key: bytes) -> None:
        ed = _ed25519()
        try:
            self._key = ed.Ed25519PublicKey.from_public_bytes(public_key)
        except ValueError as exc:
            raise ConfigError(f"invalid Ed25519 public key: {exc}") from exc

    def verify(self, event_hash: str, signature: str) -> bool:
        from cryptography.exceptions import InvalidSignature  # noqa: PLC0415

        try:
            self._key.verify(base64.b64decode(signature, validate=True), event_hash.encode())
        except (InvalidSignature, ValueError):
            return False
        return True


KeyRing = Mapping[str, SignatureCheck]
"""Verification keys by ``key_id`` (an :class:`HmacKey` or an :class:`Ed25519Verifier`)."""
