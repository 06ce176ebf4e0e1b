"""Replies are cut into speakable sentences, in order, each bounded in length, lazily."""

import itertools
import types

import pytest

from insideout_dialogue.core.sentence_splitter import (
    clean_for_speech,
    is_speakable,
    split_sentences,
    truncate_reply,
)


def test_sentences_in_order():
    text = "Hello there! How are you today? I am fine. Thanks for asking."
    assert list(split_sentences(text)) == [
        "Hello there!",
        "How are you today?",
        "I am fine.",
        "Thanks for asking.",
    ]


def test_abbreviations_and_decimals_do_not_end_a_sentence():
    text = "Dr. Smith paid 3.50 dollars, e.g. a small sum. Then he left."
    assert list(split_sentences(text)) == [
        "Dr. Smith paid 3.50 dollars, e.g. a small sum.",
        "Then he left.",
    ]


def test_line_breaks_end_sentences_and_markup_is_not_read_out():
    text = "**Happy** thoughts:\n- walk in the sun\n- call a `friend`"
    assert list(split_sentences(text)) == [
        "Happy thoughts:",
        "- walk in the sun",
        "- call a friend",
    ]


def test_control_characters_are_dropped():
    assert clean_for_speech("a\x00b\x07c") == "a b c"


def test_punctuation_only_pieces_are_skipped():
    assert list(split_sentences("... !!! ?")) == []
    assert not is_speakable("... --- !!!")
    assert is_speakable("ok")


def test_long_sentence_is_cut_at_commas_then_spaces_then_hard():
    clauses = ", ".join(["this clause goes on"] * 40) + "."
    pieces = list(split_sentences(clauses, max_chars=60))
    assert all(len(piece) <= 60 for piece in pieces)
    assert " ".join(pieces).replace(" ,", ",") == clauses
    assert all(piece.endswith(",") or piece.endswith(".") for piece in pieces)

    endless_word = "a" * 130
    assert [len(p) for p in split_sentences(endless_word, max_chars=50)] == [50, 50, 30]


def test_ten_thousand_characters_are_split_lazily_into_bounded_pieces():
    reply = ("word " * 2000).strip()  # 9,999 characters without a single full stop
    pieces = split_sentences(reply, max_chars=250)
    assert isinstance(pieces, types.GeneratorType)
    first_three = list(itertools.islice(pieces, 3))
    assert all(0 < len(piece) <= 250 for piece in first_three)
    rest = list(pieces)
    assert sum(len(p.split()) for p in first_three + rest) == 2000


def test_truncate_reply_cuts_at_a_sentence_end():
    text = "One two. Three four. Five six seven eight."
    assert truncate_reply(text, 25) == "One two. Three four."
    assert truncate_reply(text, 1000) == text
    assert truncate_reply("abcdefghij" * 5, 20) == "abcdefghij" * 2


def test_max_chars_too_small_is_refused():
    with pytest.raises(ValueError):
        list(split_sentences("hello", max_chars=5))


def test_a_long_first_sentence_is_cut_early_so_speech_starts_sooner():
    text = (
        "walking in the park on a sunny morning with a good friend, can lift your mood a lot "
        "so maybe we could plan a short walk together tomorrow. Then lunch."
    )
    pieces = list(split_sentences(text, max_chars=250, first_max_chars=80))
    assert pieces[0] == "walking in the park on a sunny morning with a good friend,"
    assert len(pieces[1]) > 40 and pieces[-1] == "Then lunch."
    assert " ".join(pieces) == text
    assert list(split_sentences("Short first. Then more.", first_max_chars=80)) == [
        "Short first.",
        "Then more.",
    ]
    assert list(split_sentences("...", first_max_chars=80)) == []
    # Only the first piece is cut short; the rest of that sentence stays one piece.
    long_first = "one two three four five six seven eight nine ten " * 5 + "end."
    assert [len(p) for p in split_sentences(long_first, max_chars=250, first_max_chars=40)] == [
        39,
        209,
    ]
