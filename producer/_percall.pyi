"""Type stub of the C extension ``_percall.c`` (see percall.py)."""

from typing import Any

def sha256_hex(data: bytes | bytearray | memoryview) -> str: ...
def put_record(
    buffer: Any, pos: int, prefix: bytes, key_crc: int, value: bytes, sha256_hex: str
) -> int: ...
