"""UUIDv7 (RFC 9562) event ids: time-ordered, so ids sort by creation time.

Python 3.11's :mod:`uuid` has no ``uuid7``. Within one process the ids are strictly
increasing: the 12-bit ``rand_a`` field carries a counter when two ids share a millisecond.
"""

from __future__ import annotations

import os
import random
import threading
import time

_lock = threading.Lock()
_last_ms = 0
_counter = 0
_prefix = ""  # "tttttttt-tttt-7" of _last_ms: formatted once per millisecond, not per id
# Event ids need uniqueness, not secrecy: a PRNG seeded from the OS (and reseeded in a forked
# child, so parent and child never share a stream) is several times cheaper than urandom.
_rng = random.Random(os.urandom(16))
_bits = _rng.getrandbits
os.register_at_fork(after_in_child=lambda: _rng.seed(os.urandom(16)))
_time_ns = time.time_ns


def _ms_prefix(ms: int) -> str:
    h = f"{ms:012x}"
    return f"{h[:8]}-{h[8:12]}-7"


def uuid7() -> str:
    """A new UUIDv7 as the usual 36-character lowercase string."""
    global _last_ms, _counter, _prefix  # noqa: PLW0603 - one monotonic clock per process
    ms = _time_ns() // 1_000_000
    with _lock:
        if ms > _last_ms:
            _last_ms = ms
            _counter = _bits(10)  # leave room to count up
            _prefix = _ms_prefix(ms)
        else:
            _counter += 1
            if _counter > 0xFFF:  # 4096 ids in one millisecond: borrow the next one
                _last_ms += 1
                _counter = 0
                _prefix = _ms_prefix(_last_ms)
        rand_a, prefix = _counter, _prefix
    rand_b = _bits(62)
    # variant 0b10 in the top bits of the 4th group, then 62 random bits
    return f"{prefix}{rand_a:03x}-{(rand_b >> 48) | 0x8000:04x}-{rand_b & 0xFFFFFFFFFFFF:012x}"


def uuid7_time_ms(value: str) -> int:
    """The Unix time in milliseconds embedded in a UUIDv7 string."""
    return int(value.replace("-", "")[:12], 16)
