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
_time_ns = time.time_ns
_HEX3 = [f"{i:03x}" for i in range(4096)]  # rand_a as text
# The random tails ("-vxxx-xxxxxxxxxxxx": the variant 0b10 and 62 random bits) are made 512
# at a time from one big random number formatted once, then popped (list.pop is atomic).
_TAILS = 512
_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}
_tails: list[str] = []


def _refill() -> None:
    h = f"{_bits(64 * _TAILS):0{16 * _TAILS}x}"
    v = _VARIANT
    _tails.extend(f"-{v[h[i]]}{h[i + 1 : i + 4]}-{h[i + 4 : i + 16]}" for i in range(0, len(h), 16))


def _after_fork() -> None:
    _rng.seed(os.urandom(16))
    _tails.clear()  # the parent's tails are the parent's


os.register_at_fork(after_in_child=_after_fork)
_pop = _tails.pop


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
    try:
        tail = _pop()
    except IndexError:
        _refill()
        tail = _pop()
    return prefix + _HEX3[rand_a] + tail


def uuid7_time_ms(value: str) -> int:
    """The Unix time in milliseconds embedded in a UUIDv7 string."""
    return int(value.replace("-", "")[:12], 16)
