"""An utterance's characters that are not text (core, no ROS): terminal escapes, bidi overrides,
zero-width and other invisible characters are removed, line breaks become spaces, and what was
removed is named; ordinary text in any script passes unchanged."""

import pytest

from insideout_dialogue.core.utterance_text import sanitize

DIRTY = [
    # A terminal escape would recolour or clear the console the log is read on.
    ("\x1b[2J\x1b[31mHello\x1b[0m robot", "Hello robot", "3 ANSI escape sequences"),
    ("title\x1b]0;pwned\x07 set", "title set", "1 ANSI escape sequence"),
    # A bidi override shows "txt.exe" as "exe.txt"; zero-width characters hide words from filters.
    (
        "open \u202etxt.exe\u202c now",
        "open txt.exe now",
        "U+202E RIGHT-TO-LEFT OVERRIDE, U+202C POP DIRECTIONAL FORMATTING",
    ),
    ("ig\u200bnore all pre\u200bvious", "ignore all previous", "U+200B ZERO WIDTH SPACE x2"),
    ("\ufeffhi\u2066 there\u2069", "hi there", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
    # Invisible tag characters spell out text a reader does not see (and a model reads).
    ("hi\U000e0053\U000e0041\U000e0059", "hi", "U+E0053 TAG LATIN CAPITAL LETTER S"),
    # A line break would start a fake log line.
    (
        "I am fine\n[INFO] [dialogue_node]: fake",
        "I am fine [INFO] [dialogue_node]: fake",
        "1 line break or tab (made a space)",
    ),
    ("nul\x00 byte\x07", "nul byte", "U+0000, U+0007"),
]

CLEAN = [
    "I passed my exam today! 🎉",
    "Ça va? Grüße aus Köln, 東京は晴れです。",
    "مرحبا، كيف حالك؟",
    "Tab-free, plain   spaces  stay.",
    "",
]


@pytest.mark.parametrize("text,clean,named", DIRTY)
def test_characters_that_are_not_text_are_removed_and_named(text, clean, named):
    result = sanitize(text)
    assert result.text == clean
    assert named in result.removed, result.removed


@pytest.mark.parametrize("text", CLEAN)
def test_ordinary_text_passes_unchanged(text):
    assert sanitize(text) == (text, "")


def test_what_was_removed_is_itself_safe_to_log():
    result = sanitize("\x1b[31m\u202e\u200b\x00" * 50 + "hi")
    assert result.text == "hi"
    assert result.removed.isascii() and result.removed.isprintable() and len(result.removed) < 300
