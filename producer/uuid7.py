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
# Event ids need uniqueness, not secrecy: a PRNG seeded from the OS (and reseeded in a forked
# child, so parent and child never share a stream) is several times cheaper than urandom.
_rng = random.Random(os.urandom(16))
os.register_at_fork(after_in_child=lambda: _rng.seed(os.urandom(16)))


def uuid7() -> str:
    """A new UUIDv7 as the usual 36-character lowercase string."""
    global _last_ms, _counter  # noqa: PLW0603 - one monotonic clock per process, by design
    ms = time.time_ns() // 1_000_000
    with _lock:
        if ms > _last_ms:
            _last_ms = ms
            _counter = _rng.getrandbits(10)  # leave room to count up
        else:
            ms = _last_ms
            _counter += 1
            if _counter > 0xFFF:  # 4096 ids in one millisecond: borrow the next one
                _last_ms += 1
                ms = _last_ms
                _counter = 0
        rand_a = _counter
    rand_b = _rng.getrandbits(62)
    value = (ms << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def uuid7_time_ms(value: str) -> int:
    """The Unix time in milliseconds embedded in a UUIDv7 string."""
    return int(value.replace("-", "")[:12], 16)
