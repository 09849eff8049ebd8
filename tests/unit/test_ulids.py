"""ULIDs as numbers: the bounds of a time range and a cursor's neighbours, at the ends of the range too."""

import pytest
from messenger.messages import ulids
from ulid import ULID

SMALLEST, LARGEST = "0" * 26, "7" + "Z" * 25


def test_text_and_number_agree_with_the_ulid_library():
    made = ULID()
    assert ulids.to_int(str(made)) == int(made) and ulids.to_text(int(made)) == str(made)
    assert (ulids.to_int(SMALLEST), ulids.to_int(LARGEST)) == (0, ulids.MAX_ULID)


def test_a_millisecond_spans_from_its_first_ulid_to_just_after_the_last_of_the_one_before():
    millisecond = 1_764_000_000_000
    first = ulids.first_at(millisecond)
    assert ulids.milliseconds_of(first) == millisecond and first.endswith("0" * 16)
    assert ulids.last_before(millisecond) == ulids.predecessor(first)
    assert ulids.milliseconds_of(ulids.last_before(millisecond)) == millisecond - 1
    assert ulids.last_before(1) == "0000000000" + "Z" * 16
    assert ulids.last_before(0) == SMALLEST  # nothing is earlier: the smallest ULID bounds it


@pytest.mark.parametrize("text", ["01ARZ3NDEKTSV4RRFFQ69G5FAV", "0000000000ZZZZZZZZZZZZZZZZ", SMALLEST])
def test_the_neighbours_of_a_ulid_are_one_apart(text):
    after = ulids.successor(text)
    assert ulids.to_int(after) == ulids.to_int(text) + 1 and ulids.predecessor(after) == text


def test_the_largest_ulid_has_no_successor_and_the_smallest_no_predecessor():
    assert ulids.successor(LARGEST) is None and ulids.predecessor(SMALLEST) is None
    assert ulids.successor(ulids.to_text(ulids.MAX_ULID - 1)) == LARGEST
    assert ulids.predecessor("0" * 25 + "1") == SMALLEST
