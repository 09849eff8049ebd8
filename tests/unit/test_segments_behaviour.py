"""Where the SMS encodings draw their lines: the edge of the Basic Multilingual Plane, and the
encoding named for a split message too (the refusal of a too-long body quotes it)."""

from messenger.sending.segments import count_segments


def test_the_last_character_of_the_bmp_takes_one_ucs2_unit_and_the_first_beyond_it_two():
    assert count_segments("\uffef" * 70).units == 70  # U+FFEF: still one unit
    assert count_segments("\uffff").units == 1
    assert count_segments("\U00010000").units == 2
    assert count_segments("\U00010000" * 35).segments == 1
    assert count_segments("\U00010000" * 36).segments == 2


def test_a_split_message_still_names_its_encoding():
    assert count_segments("a" * 161).encoding == "GSM-7"
    assert count_segments("ж" * 71).encoding == "UCS-2"
    assert (count_segments("ж" * 71).units, count_segments("ж" * 71).segments) == (71, 2)
