"""The per-event byte work of an audited call, in C where the extension is built.

``_percall`` (``_percall.c``, built with the package) hashes through OpenSSL's EVP API with
the SHA-256 digest fetched once, and writes a spool record with one call. Without it (a
pure-Python install, or no OpenSSL shared library loaded by :mod:`hashlib`) the same results
come from :mod:`hashlib` and Python slicing: :data:`sha256_hex` is the same function either
way, and :data:`put_record` is None.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

try:
    from tooltrail.producer import _percall
except ImportError:  # a pure-Python install, or no libcrypto shared library
    _percall = None  # type: ignore[assignment]
try:
    from tooltrail.producer import _transcode
except ImportError:  # a pure-Python install
    _transcode = None  # type: ignore[assignment]


def _no_untrack(*objs: object) -> None:
    """Without the extension: objects stay tracked (only a cost, see ``untrack``)."""


def _hashlib_sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# The SHA-256 hex digest of a bytes-like object (event hashes, keyed hashes without a key).
sha256_hex: Callable[[bytes], str] = (
    _hashlib_sha256_hex if _percall is None else _percall.sha256_hex
)
# put_record(buffer, pos, prefix, key_crc, value, sha256_hex) -> end, or None (see _percall.c)
put_record: Callable[[Any, int, bytes, int, bytes, str], int] | None = (
    None if _percall is None else _percall.put_record
)
# The garbage collector stops traversing exact dicts and tuples given (``_transcode.c``; a
# container put into one later tracks it again): events and records waiting in a queue for
# a background thread are not walked, nor promoted, by its young passes meanwhile.
untrack: Callable[..., None] = _no_untrack if _transcode is None else _transcode.untrack
