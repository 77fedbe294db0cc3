"""Values found in tool arguments and results: destinations, identifiers, secrets.

These are pattern scans over the redacted canonical JSON the producer captured. They run
once per event in the enrich stage, so rules test derived fields instead of re-scanning.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from typing import Any

import orjson

# Keys whose value names where a call sends something, most telling first.
_DESTINATION_KEYS = (
    "url", "uri", "endpoint", "webhook", "to", "recipient", "recipients", "email",
    "address", "host", "hostname", "domain", "server", "cc", "bcc",
)  # fmt: skip
_DESTINATION_RANK = {key: rank for rank, key in enumerate(_DESTINATION_KEYS)}
_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://([^/\s\"'?#<>]+)[^\s\"'<>]*")
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)\b")
_DOMAIN = re.compile(r"^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_PATH_REST = r"(?:[\w.@-]+/)*[\w.@-]+"
# A path: (?<![\w/:.])(?:~|\.{1,2})?/REST, written with the first character outside the
# look-behind so that the regex engine can skip ahead to a "~", "." or "/" (twice as fast;
# same matches: the look-behind then covers the character before that first one).
_PATH = (
    rf"~(?<![\w/:.].)/{_PATH_REST}"
    rf"|\.(?<![\w/:.].)\.?/{_PATH_REST}"
    rf"|/(?<![\w/:.].){_PATH_REST}"
)
_PATH_ROOTS = ("~", "/etc", "/home", "/var", "/tmp")
# url | email | account | path, alternatives tried in that order at each position. Accounts
# are IBANs and long digit runs (card, bank, wallet numbers).
_ALTERNATIVES = (
    r"(?P<url>\b[a-zA-Z][a-zA-Z0-9+.-]*://(?P<host>[^/\s\"'?#<>]+)[^\s\"'<>]*)",
    r"(?P<email>\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+\b)",
    r"(?P<account>\b(?:[A-Z]{2}\d{2}[A-Z0-9]{11,30}|\d{8,19})\b)",
    rf"(?P<path>{_PATH})",
)
_VALUES = re.compile("|".join(_ALTERNATIVES))
# Each alternative costs about as much as the others at every position of the text, and most
# texts cannot match most of them (no "://", no "@" ...). An alternative that cannot match
# anywhere in a text changes nothing when left out, so the scan uses the alternation of
# those that can (same matches, same order), compiled once per combination.
_DIGITS8 = re.compile(r"\d{8}").search
_IBAN_START = re.compile(r"[A-Z]{2}\d{2}").search
_VARIANTS: dict[int, re.Pattern[str] | None] = {}


_DIGIT_BYTES = b"0123456789"
_UPPER_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _may_hold_account(text: str) -> bool:
    """Whether the account alternative can match: eight digits in a row or an IBAN start.

    Those two scans cost ~0.5-1 us each on a short argument string; counting digits and
    capitals (bytes.translate deleting them, in C) first rules out most texts for a fifth
    of that. Eight digits in a row need eight digits, an IBAN start two capitals and two
    digits. Only on ASCII text, where ``\\d`` is 0-9; other texts go to the scans.
    """
    if text.isascii():
        raw = text.encode()
        digits = len(raw) - len(raw.translate(None, _DIGIT_BYTES))
        if digits < 2:
            return False
        if digits < 8 and len(raw) - len(raw.translate(None, _UPPER_BYTES)) < 2:
            return False
    return _DIGITS8(text) is not None or _IBAN_START(text) is not None


def _values_pattern(text: str) -> re.Pattern[str] | None:
    """The alternation of the alternatives that can match in ``text`` (None: none can)."""
    mask = 0
    if "://" in text:
        mask |= 1
    if "@" in text:
        mask |= 2
    if _may_hold_account(text):
        mask |= 4
    if "/" in text:
        mask |= 8
    try:
        return _VARIANTS[mask]
    except KeyError:
        pass
    parts = [alt for bit, alt in enumerate(_ALTERNATIVES) if mask & (1 << bit)]
    pattern = re.compile("|".join(parts)) if parts else None
    _VARIANTS[mask] = pattern
    return pattern


_SECRETS = re.compile(
    "|".join(
        (
            r"AKIA[0-9A-Z]{16}",  # AWS access key id
            r"gh[pousr]_[A-Za-z0-9]{30,}",  # GitHub token
            r"sk-[A-Za-z0-9_-]{20,}",  # OpenAI-style API key
            r"xox[abposr]-[A-Za-z0-9-]{10,}",  # Slack token
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
            r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",  # JWT
            r"\"(?i:password|passwd|secret|api_?key|access_?token|private_?key)\"\s*:\s*\"[^\"]{8,}\"",
        )
    )
)
_MAX_SCAN = 65_536  # bytes of arguments/results scanned; the producer caps sizes anyway
_MAX_VALUES = 64


def parse_json(text: str | None) -> Any:
    """The decoded JSON of a captured argument or result string, or the string itself."""
    if not text:
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return text


def normalise_host(host: str) -> str | None:
    """Lower-case host without port, credentials or trailing dot; None if it is not one."""
    host = host.rsplit("@", 1)[-1].strip().lower().rstrip(".")
    if host.startswith("["):  # IPv6 literal
        return host.split("]", 1)[0].lstrip("[") or None
    host = host.split(":", 1)[0]
    return host or None


def destination_of(args: Any, text: str | None) -> str | None:
    """The domain (or IP) a call sends to, from its arguments; None when there is none."""
    if isinstance(args, dict):
        # The ranks are distinct, so sorting by rank fixes the order of several keys.
        found = args.keys() & _DESTINATION_RANK.keys()
        keys = sorted(found, key=_DESTINATION_RANK.__getitem__) if len(found) > 1 else found
        for key in keys:
            value = args[key]
            if isinstance(value, list) and value:
                value = value[0]
            if isinstance(value, str):
                host = _host_in(value)
                if host is not None:
                    return host
    if text:
        scan = text[:_MAX_SCAN]
        # A URL match needs "://" and an address "@": skip scans that cannot match.
        url = _URL.search(scan) if "://" in scan else None
        if url is not None:
            return normalise_host(url.group(1))
        email = _EMAIL.search(scan) if "@" in scan else None
        if email is not None:
            return email.group(1).lower()
    return None


def _host_in(value: str) -> str | None:
    url = _URL.search(value)
    if url is not None:
        return normalise_host(url.group(1))
    email = _EMAIL.search(value)
    if email is not None:
        return email.group(1).lower()
    candidate = value.strip().lower().rstrip(".")
    if _DOMAIN.match(candidate) or _is_ip(candidate):
        return candidate
    return None


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def is_external(domain: str, internal: tuple[str, ...]) -> bool:
    """Whether a destination lies outside the internal domains (private IPs count as internal)."""
    if domain in ("localhost",) or domain.endswith(".localhost"):
        return False
    try:
        ip = ipaddress.ip_address(domain)
    except ValueError:
        pass
    else:
        # Link-local covers cloud metadata endpoints (169.254.169.254): internal, not external.
        return not (ip.is_private or ip.is_loopback or ip.is_link_local)
    return not any(domain == d or domain.endswith("." + d) for d in internal)


def values_in(text: str | None) -> Iterator[tuple[str, str]]:
    """``(kind, value)`` pairs worth tracking for provenance: email, url, domain, account, path.

    One left-to-right scan; a URL is taken whole (its domain is yielded too), so the paths and
    addresses inside it are not reported again.
    """
    if not text:
        return
    scan = text[:_MAX_SCAN]
    pattern = _values_pattern(scan)
    if pattern is None:
        return
    seen = 0
    for m in pattern.finditer(scan):
        kind = m.lastgroup
        if kind == "url":
            yield "url", m.group(0).rstrip(".,;)")
            host = normalise_host(m.group("host"))
            if host:
                yield "domain", host
        elif kind == "email":
            yield "email", m.group(0).lower()
        elif kind == "account":
            yield "account", m.group(0)
        else:
            path = m.group(0)
            if "/" not in path.strip("/") and not path.startswith(_PATH_ROOTS):
                continue
            yield "path", path
        seen += 1
        if seen >= _MAX_VALUES:
            return


def _may_hold_secret(text: str) -> bool:
    """False only when no _SECRETS pattern can match ``text`` (an ASCII text).

    Every match contains one of these literals, or one of the key names in lower case.
    Non-ASCII texts always go to the scan: under IGNORECASE a few non-ASCII letters match
    ASCII ones.
    """
    if not text.isascii():
        return True
    if (
        "AKIA" in text
        or ("gh" in text and "_" in text)
        or "sk-" in text
        or "xox" in text
        or "-----BEGIN " in text
        or "eyJ" in text
    ):
        return True
    low = text.lower()
    return "passw" in low or "secret" in low or "api" in low or "access" in low or "private" in low


def has_secret(text: str | None) -> bool:
    """Whether captured arguments still contain something shaped like a credential."""
    if not text:
        return False
    scan = text[:_MAX_SCAN]
    return _may_hold_secret(scan) and _SECRETS.search(scan) is not None
