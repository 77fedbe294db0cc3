"""Redaction at the source: secrets are removed before an event leaves the process.

Two kinds of rules, applied through nested dicts, lists and tuples:

* key names (``password``, ``token``, ``api_key`` ...; compared case-insensitively with
  ``-``/``_``/spaces ignored, and as a suffix, so ``x_api_key`` matches): the whole value goes;
* value detectors over every string: bearer tokens, AWS access key ids, PEM private keys,
  JWTs, payment card numbers (13-19 digits passing the Luhn check): only the match goes.

Each removal is listed as ``{"path", "rule", "value_hmac"}`` (the ToolCallEvent ``Redaction``
record); ``value_hmac`` is an HMAC-SHA256 of the removed text when a deployment key is set,
so an investigator holding the key can match a value without it being stored. Without a key
no hash is kept (a bare SHA-256 of a short secret is easy to brute-force).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from tooltrail.producer.percall import sha256_hex

DEFAULT_KEY_NAMES = (
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "apikey",
    "accesskey",
    "secretkey",
    "privatekey",
    "authorization",
    "auth",
    "cookie",
    "setcookie",
    "credentials",
    "credential",
    "clientsecret",
    "refreshtoken",
    "accesstoken",
    "idtoken",
    "xapikey",
)

_DETECTORS = {
    "private_key": r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )"
    r"*PRIVATE KEY-----|\Z)",
    "jwt": r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}",
    "bearer": r"\b[Bb]earer\s+[A-Za-z0-9\-._~+/]{8,}=*",
    "aws_access_key": r"\b(?:AKIA|ASIA|AROA|AIDA|ANPA|ANVA|AGPA|ABIA|ACCA)[A-Z0-9]{16}\b",
    "card": r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])",
}
DEFAULT_DETECTORS = tuple(_DETECTORS)
_MIN_SCAN_LEN = 13  # the shortest match any detector can make (a 13-digit card)
_SCALARS = frozenset({int, float, bool})


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum of a digit string (payment card numbers)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def normalize_key(key: str) -> str:
    return key.lower().replace("-", "").replace("_", "").replace(" ", "").replace(".", "")


class Redactor:
    """Removes secrets from JSON-like values; keeps a list of what it removed.

    Args:
        key_names: key names whose values are always removed (normalized, suffix match).
        detectors: names of value detectors to run (see ``DEFAULT_DETECTORS``).
        hash_key: deployment key for HMAC-SHA256 of removed values and of raw payloads.
        max_depth: deeper nesting is replaced by a marker (bounds work on hostile input).
    """

    def __init__(
        self,
        *,
        key_names: Iterable[str] = DEFAULT_KEY_NAMES,
        detectors: Iterable[str] = DEFAULT_DETECTORS,
        hash_key: bytes | None = None,
        max_depth: int = 32,
    ) -> None:
        self.key_names = frozenset(normalize_key(k) for k in key_names)
        chosen = list(detectors)
        unknown = set(chosen) - set(_DETECTORS)
        if unknown:
            raise ValueError(f"unknown detectors {sorted(unknown)}; known: {DEFAULT_DETECTORS}")
        self._pattern = (
            re.compile("|".join(f"(?P<{n}>{_DETECTORS[n]})" for n in chosen)) if chosen else None
        )
        self.hash_key = hash_key
        self.max_depth = max_depth
        self._key_cache: dict[str, bool] = {}

    # -- hashing -------------------------------------------------------------------------

    def keyed_hash(self, data: bytes) -> str:
        """HMAC-SHA256 hex with the deployment key, or plain SHA-256 hex without one."""
        if self.hash_key is not None:
            return hmac.new(self.hash_key, data, hashlib.sha256).hexdigest()
        return sha256_hex(data)

    def _value_hmac(self, text: str) -> str | None:
        if self.hash_key is None:
            return None
        return hmac.new(
            self.hash_key, text.encode("utf-8", "surrogatepass"), hashlib.sha256
        ).hexdigest()

    # -- redaction -----------------------------------------------------------------------

    def is_secret_key(self, key: str) -> bool:
        hit = self._key_cache.get(key)
        if hit is None:
            norm = normalize_key(key)
            hit = any(norm == k or norm.endswith(k) for k in self.key_names)
            if len(self._key_cache) < 4096:
                self._key_cache[key] = hit
        return hit

    def is_clean(self, value: Any, depth: int = 0) -> bool:  # noqa: PLR0911 - one per type
        """Whether :meth:`redact` would return ``value`` unchanged, with nothing to list.

        True only for plain JSON (dicts with str keys, lists, tuples, str, int, float,
        bool, None, each of exactly that type) with no secret key holding a value, no
        string a detector matches, and no nesting past ``max_depth``. For such a value the
        canonical JSON of the raw value is also that of the redacted one, so the capture
        layer serializes it once. Anything else answers False and takes the full walk.
        """
        cls = value.__class__
        if cls is str:
            return (
                len(value) < _MIN_SCAN_LEN
                or self._pattern is None
                or not (self._pattern.search(value))
            )
        if value is None or cls in _SCALARS:
            return True
        if depth >= self.max_depth:
            return False
        pattern = self._pattern
        if cls is dict:
            cache = self._key_cache
            for k, v in value.items():
                if k.__class__ is not str:
                    return False
                secret = cache.get(k)
                if secret is None:
                    secret = self.is_secret_key(k)
                if secret and v is not None:
                    return False
                c = v.__class__
                if c is str:
                    if len(v) >= _MIN_SCAN_LEN and pattern is not None and pattern.search(v):
                        return False
                elif v is not None and c not in _SCALARS and not self.is_clean(v, depth + 1):
                    return False
            return True
        if cls is list or cls is tuple:
            return all(self.is_clean(v, depth + 1) for v in value)
        return False

    def redact(self, value: Any, path: str, found: list[dict[str, Any]]) -> Any:
        """A redacted copy of ``value`` (JSON types only); removals appended to ``found``."""
        return self._walk(value, path, found, 0)

    def redact_text(self, text: str, path: str, found: list[dict[str, Any]]) -> str:
        """Run the value detectors over one string."""
        if self._pattern is None or len(text) < _MIN_SCAN_LEN:
            return text
        return self._scan(text, path, found)

    def _walk(  # noqa: PLR0911 - one return per JSON type
        self, value: Any, path: str, found: list[dict[str, Any]], depth: int
    ) -> Any:
        cls = type(value)
        if cls is str:
            if self._pattern is None or len(value) < _MIN_SCAN_LEN:
                return value
            return self._scan(value, path, found)
        if value is None or cls in _SCALARS:
            return value
        if depth >= self.max_depth:
            found.append({"path": path, "rule": "depth", "value_hmac": None})
            return "[TRUNCATED:depth]"
        if isinstance(value, Mapping):
            return self._walk_mapping(value, path, found, depth)
        if isinstance(value, list | tuple | set | frozenset):
            return [self._walk(v, f"{path}[{i}]", found, depth + 1) for i, v in enumerate(value)]
        if isinstance(value, bool | int | float):  # subclasses (IntEnum ...)
            return value
        if isinstance(value, bytes | bytearray):
            return f"[BYTES:{len(value)}]"
        return self._walk(str(value), path, found, depth)

    def _walk_mapping(
        self, value: Mapping[Any, Any], path: str, found: list[dict[str, Any]], depth: int
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        short = self._pattern is None
        for k, v in value.items():
            key = k if type(k) is str else str(k)
            if self.is_secret_key(key) and v is not None:
                raw = v if isinstance(v, str) else orjson.dumps(v, default=str).decode()
                found.append(
                    {
                        "path": f"{path}.{key}",
                        "rule": f"key:{normalize_key(key)}",
                        "value_hmac": self._value_hmac(raw),
                    }
                )
                out[key] = "[REDACTED]"
                continue
            cls = type(v)
            # Common leaves inline: no recursive call for numbers, None and short strings.
            if v is None or cls in _SCALARS or (cls is str and (short or len(v) < _MIN_SCAN_LEN)):
                out[key] = v
            else:
                out[key] = self._walk(v, f"{path}.{key}", found, depth + 1)
        return out

    def _scan(self, text: str, path: str, found: list[dict[str, Any]]) -> str:
        assert self._pattern is not None
        if self._pattern.search(text) is None:
            return text
        parts: list[str] = []
        pos = 0
        for m in self._pattern.finditer(text):
            rule = m.lastgroup or "value"
            matched = m.group()
            if rule == "card" and not luhn_ok(re.sub(r"[ -]", "", matched)):
                continue
            parts.append(text[pos : m.start()])
            parts.append(f"[REDACTED:{rule}]")
            pos = m.end()
            found.append(
                {"path": path, "rule": f"value:{rule}", "value_hmac": self._value_hmac(matched)}
            )
        if pos == 0:
            return text
        parts.append(text[pos:])
        return "".join(parts)


def cap_json(value: Any, *, path: str, max_bytes: int, found: list[dict[str, Any]]) -> str:
    """Canonical JSON (sorted keys) of an already-redacted value, capped at ``max_bytes``.

    Past the cap the result is still valid JSON: ``{"$truncated": {"original_bytes": N,
    "head": "<first bytes>"}}``, and a ``truncated`` redaction is listed.
    """
    data = orjson.dumps(value, option=orjson.OPT_SORT_KEYS, default=str)
    return cap_bytes(data, path=path, max_bytes=max_bytes, found=found)


def cap_bytes(data: bytes, *, path: str, max_bytes: int, found: list[dict[str, Any]]) -> str:
    """:func:`cap_json` of a value already serialized (``data``, its canonical JSON)."""
    if len(data) <= max_bytes:
        return data.decode("utf-8")
    head = data[: max(0, max_bytes - 64)].decode("utf-8", "ignore")
    found.append({"path": path, "rule": "truncated", "value_hmac": None})
    marker = {"$truncated": {"original_bytes": len(data), "head": head}}
    return orjson.dumps(marker, option=orjson.OPT_SORT_KEYS).decode("utf-8")


def raw_bytes(value: Any) -> bytes:
    """The canonical bytes of a raw (unredacted) value, for keyed hashing."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str)
