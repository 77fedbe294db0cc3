"""Redaction of every detector through nested structures and unicode; caps and keyed hashes."""

from __future__ import annotations

import hashlib
import hmac

import orjson
import pytest

from tooltrail.producer.redaction import Redactor, cap_json, luhn_ok, raw_bytes

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV"
PEM = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
    "-----END OPENSSH PRIVATE KEY-----"
)
SECRETS = {
    "bearer": "Bearer abcDEF123456789xyz",
    "aws_access_key": "AKIAIOSFODNN7EXAMPLE",
    "private_key": PEM,
    "jwt": JWT,
    "card": "4111 1111 1111 1111",
}


def nest(text: str) -> object:
    """The secret deep inside dicts, lists and tuples, surrounded by unicode."""
    return {"ébène": [{"note": ("ok", f"→ 秘密 {text} ✓ ünïcödé")}], "n": 1, "f": 2.5}


@pytest.mark.parametrize("rule", sorted(SECRETS))
def test_each_detector_through_nesting_and_unicode(rule: str) -> None:
    secret = SECRETS[rule]
    r = Redactor(hash_key=b"deploy-key")
    found: list[dict[str, object]] = []
    out = r.redact(nest(secret), "arguments", found)
    text = orjson.dumps(out).decode()
    assert secret not in text
    assert f"[REDACTED:{rule}]" in text
    assert "→ 秘密" in text and "✓ ünïcödé" in text  # the rest of the string is kept
    assert found == [
        {
            "path": "arguments.ébène[0].note[1]",
            "rule": f"value:{rule}",
            "value_hmac": hmac.new(b"deploy-key", secret.encode(), hashlib.sha256).hexdigest(),
        }
    ]


@pytest.mark.parametrize(
    "key", ["password", "Authorization", "X-Api-Key", "client_secret", "Set-Cookie", "db.token"]
)
def test_key_names_remove_whole_values(key: str) -> None:
    found: list[dict[str, object]] = []
    out = Redactor().redact({"outer": [{key: {"nested": "x"}}]}, "arguments", found)
    assert out == {"outer": [{key: "[REDACTED]"}]}
    assert found[0]["path"] == f"arguments.outer[0].{key}"
    assert str(found[0]["rule"]).startswith("key:")
    assert found[0]["value_hmac"] is None  # no deployment key: no hash of a short secret


def test_innocent_values_pass() -> None:
    found: list[dict[str, object]] = []
    value = {
        "query": "bearer of bad news",
        "max_tokens": 512,
        "author": "Zoë",
        "number": "4111 1111 1111 1112",  # fails Luhn
        "order": "1234567890123",
    }
    assert Redactor().redact(value, "arguments", found) == value
    assert found == []


def test_luhn() -> None:
    assert luhn_ok("4111111111111111")
    assert luhn_ok("5500005555555559")
    assert not luhn_ok("4111111111111112")


def test_card_with_dashes_and_several_secrets_in_one_string() -> None:
    found: list[dict[str, object]] = []
    text = f"pay 5500-0055-5555-5559 then use {JWT} and AKIAIOSFODNN7EXAMPLE"
    out = Redactor().redact(text, "result", found)
    assert out == "pay [REDACTED:card] then use [REDACTED:jwt] and [REDACTED:aws_access_key]"
    assert [f["rule"] for f in found] == ["value:card", "value:jwt", "value:aws_access_key"]


def test_non_json_types_and_depth_limit() -> None:
    found: list[dict[str, object]] = []
    deep: object = "leaf"
    for _ in range(10):
        deep = [deep]
    out = Redactor(max_depth=4).redact({"b": b"\x00\x01", "s": {3}, "d": deep}, "a", found)
    assert out["b"] == "[BYTES:2]" and out["s"] == [3]
    assert "[TRUNCATED:depth]" in orjson.dumps(out["d"]).decode()
    assert found[-1]["rule"] == "depth"


def test_cap_json_marks_truncation_and_stays_valid_json() -> None:
    found: list[dict[str, object]] = []
    text = cap_json({"blob": "é" * 5000}, path="arguments", max_bytes=200, found=found)
    parsed = orjson.loads(text)
    assert parsed["$truncated"]["original_bytes"] > 10_000
    assert len(text.encode()) < 400
    assert found == [{"path": "arguments", "rule": "truncated", "value_hmac": None}]
    assert cap_json({"a": 1}, path="x", max_bytes=200, found=found) == '{"a":1}'


def test_keyed_hash_is_hmac_when_key_set() -> None:
    raw = raw_bytes({"b": 1, "a": [1, 2]})
    assert raw == b'{"a":[1,2],"b":1}'
    assert Redactor().keyed_hash(raw) == hashlib.sha256(raw).hexdigest()
    keyed = Redactor(hash_key=b"k").keyed_hash(raw)
    assert keyed == hmac.new(b"k", raw, hashlib.sha256).hexdigest()


def test_unknown_detector_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown detectors"):
        Redactor(detectors=["ssn"])
