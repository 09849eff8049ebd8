from hypothesis import given
from hypothesis import strategies as st
from messenger.sending.segments import GSM7_BASIC, count_segments


def test_160_gsm7_characters_fit_one_sms():
    assert count_segments("a" * 160).segments == 1
    assert count_segments("a" * 160).encoding == "GSM-7"


def test_161_gsm7_characters_take_two_parts_of_153():
    assert count_segments("a" * 161).segments == 2
    assert count_segments("a" * 306).segments == 2
    assert count_segments("a" * 307).segments == 3


def test_extension_characters_count_twice():
    count = count_segments("€" * 80)
    assert (count.encoding, count.units, count.segments) == ("GSM-7", 160, 1)
    assert count_segments("€" * 81).segments == 2


def test_an_escape_pair_is_never_split_across_parts():
    # 152 septets then a two-septet character: the pair moves whole into the second part.
    text = "a" * 152 + "{" + "a" * 152
    count = count_segments(text)
    assert count.units == 306
    assert count.segments == 3


def test_one_curly_apostrophe_switches_the_whole_message_to_ucs2():
    count = count_segments("It’s" + "a" * 66)
    assert count.encoding == "UCS-2"
    assert count.segments == 1
    assert count_segments("It’s" + "a" * 67).segments == 2


def test_emoji_outside_the_bmp_take_two_units_and_are_not_split():
    assert count_segments("😀" * 35).segments == 1
    assert count_segments("😀" * 36).segments == 2
    # 66 units then a surrogate pair: the pair starts the second part.
    count = count_segments("é" + "ж" * 65 + "😀" + "ж" * 10)
    assert count.units == 78
    assert count.segments == 2


def test_empty_text_takes_no_segment():
    assert count_segments("").segments == 0


@given(st.text(alphabet=sorted(GSM7_BASIC), min_size=1, max_size=2000))
def test_gsm7_parts_hold_the_whole_text(text):
    count = count_segments(text)
    capacity = 160 if count.segments == 1 else 153 * count.segments
    assert count.units <= capacity
    if count.segments > 1:
        assert count.units > 153 * (count.segments - 1) - 1


@given(st.text(min_size=1, max_size=500), st.text(min_size=1, max_size=50))
def test_appending_text_never_reduces_the_segment_count_within_an_encoding(head, tail):
    a, b = count_segments(head), count_segments(head + tail)
    if a.encoding == b.encoding:
        assert b.segments >= a.segments
