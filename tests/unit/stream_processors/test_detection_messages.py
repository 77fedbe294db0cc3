"""Alert messages: a rule's ``{placeholders}`` filled from the captures (model.render_template)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tooltrail.stream_processors.detection.model import TEMPLATE_FIELD, render_template

NAMES = st.sampled_from(["tool", "count", "session_id", "x_1", "missing"])
PIECES = st.one_of(
    st.text(alphabet="ab {}_1", max_size=6),  # literal text, stray braces included
    NAMES.map(lambda n: "{" + n + "}"),
)


def reference(message: str, values: dict[str, str]) -> str:
    return TEMPLATE_FIELD.sub(lambda m: values.get(m.group(1), ""), message)


@given(st.lists(PIECES, max_size=8).map("".join), st.dictionaries(NAMES, st.text(max_size=5)))
def test_the_message_is_the_regex_substitution(message: str, values: dict[str, str]) -> None:
    assert render_template(message, values) == reference(message, values)
    assert render_template(message, values) == reference(message, values)  # split cached


def test_placeholders_filled_and_unknown_ones_empty() -> None:
    values = {"tool": "delete_file", "count": "3"}
    assert render_template("{tool} x{count}{missing}!", values) == "delete_file x3!"
    assert render_template("no placeholders {1x}", values) == "no placeholders {1x}"
