"""Type stub of the C extension ``_transcode.c`` (see transcode.py)."""

from typing import Any

def program(description: tuple[Any, ...]) -> object: ...
def transcode_many(
    program: object, items: list[tuple[bytes, bytes | None]], header: bytes
) -> list[bytes | None]: ...
