"""getMessage and getMessages' new filters over the local mode (issue 8, items 1-2)."""

from __future__ import annotations

import datetime as dt
import uuid

from tests.e2e.conftest import wait_for

SEND = """mutation($input: MessageInput!) { sendMessage(input: $input) { id to createdAt deliveryStatus } }"""
GET = """query($id: ID!) { getMessage(id: $id) { id to body senderId reference deliveryStatus createdAt } }"""
PAGE = """query($f: MessageFilter!, $first: Int, $after: String, $order: MessageOrder) {
  getMessages(filter: $f, first: $first, after: $after, order: $order) {
    data { id to body deliveryStatus deliveryMethod senderId reference createdAt }
    pageInfo { hasNextPage endCursor } } }"""


def _tag() -> str:
    return uuid.uuid4().hex[:10]


def _send(api, to: str, body: str, method: str = "EMAIL", **extra) -> dict:
    data = {"to": to, "body": body, "deliveryMethod": method, **extra}
    if method == "EMAIL":
        data["subject"] = "History"
    status, response = api.graphql(SEND, {"input": data})
    assert status == 200 and "errors" not in response, response
    return response["data"]["sendMessage"]


def _page(api, flt: dict, first: int, after=None, order=None):
    return api.graphql(PAGE, {"f": flt, "first": first, "after": after, "order": order})[1]


def _pages(api, flt: dict, first: int, order=None) -> list[dict]:
    pages, after = [], None
    while len(pages) < 20:
        response = _page(api, flt, first, after, order)
        assert "errors" not in response, response
        page = response["data"]["getMessages"]
        pages.append(page)
        if not page["pageInfo"]["hasNextPage"]:
            return pages
        after = page["pageInfo"]["endCursor"]
    raise AssertionError("paging does not end")


def _bad_request(response) -> str:
    [error] = response["errors"]
    assert error["errorType"] == "BadRequest" and response["data"] == {"getMessages": None}, response
    return error["message"]


def _ms(iso: str) -> dt.datetime:
    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def test_get_message_by_id_with_and_without_prefix_whatever_the_recipient(local_api):
    sent = [_send(local_api, f"get-{_tag()}@example.org", "to one"), _send(local_api, "+14155550123", "to two", "SMS")]
    for message in sent:
        for given in (message["id"], "MESSAGE#" + message["id"]):
            status, response = local_api.graphql(GET, {"id": given})
            assert status == 200 and "errors" not in response, response
            assert response["data"]["getMessage"]["id"] == message["id"]
            assert response["data"]["getMessage"]["to"] == message["to"]
    for unknown in ("01KG8Q0W3V0000000000000000", "MESSAGE#01KG8Q0W3V0000000000000000", "no-such-id"):
        assert local_api.graphql(GET, {"id": unknown})[1] == {"data": {"getMessage": None}}


def test_a_senders_history_pages_across_recipients_with_an_exactly_full_last_page(local_api):
    sender = f"shop-{_tag()}"
    ids = [_send(local_api, f"s{n}-{_tag()}@example.org", f"sender {n}", senderId=sender)["id"] for n in range(6)]
    _send(local_api, f"other-{_tag()}@example.org", "someone else's", senderId=f"other-{_tag()}")
    pages = _pages(local_api, {"senderId": sender}, first=3)
    assert [len(p["data"]) for p in pages] == [3, 3]
    assert [p["pageInfo"]["hasNextPage"] for p in pages] == [True, False]
    assert [m["id"] for p in pages for m in p["data"]] == ids
    newest = _pages(local_api, {"senderId": sender}, first=4, order="NEWEST_FIRST")
    assert [len(p["data"]) for p in newest] == [4, 2]
    assert [m["id"] for p in newest for m in p["data"]] == ids[::-1]


def test_a_references_history_pages_and_the_seed_shape_to_filter_still_works(local_api):
    reference, to = f"order-{_tag()}", f"ref-{_tag()}@example.org"
    ids = [_send(local_api, to if n % 2 else f"x{n}-{_tag()}@example.org", f"ref {n}", reference=reference)["id"]
           for n in range(5)]
    pages = _pages(local_api, {"reference": reference}, first=2)
    assert [len(p["data"]) for p in pages] == [2, 2, 1]
    assert [p["pageInfo"]["hasNextPage"] for p in pages] == [True, True, False]
    assert [m["id"] for p in pages for m in p["data"]] == ids
    assert all(m["reference"] == reference for p in pages for m in p["data"])
    assert [m["id"] for p in _pages(local_api, {"to": to}, first=1) for m in p["data"]] == [ids[1], ids[3]]


def test_time_ranges_at_ulid_edges_are_after_inclusive_and_before_exclusive(local_api):
    sender = f"time-{_tag()}"
    sent = [_send(local_api, f"t{n}-{_tag()}@example.org", f"t{n}", senderId=sender) for n in range(5)]
    one_ms = dt.timedelta(milliseconds=1)

    def within(after=None, before=None):
        flt = {"senderId": sender, "createdAfter": after, "createdBefore": before}
        return [m["id"] for p in _pages(local_api, flt, first=2) for m in p["data"]]

    def expected(low=None, high=None):
        return [m["id"] for m in sent if (low is None or _ms(m["createdAt"]) >= low)
                and (high is None or _ms(m["createdAt"]) < high)]

    edge = _ms(sent[2]["createdAt"])
    assert sent[2]["id"] in within(after=sent[2]["createdAt"])  # inclusive at its own millisecond
    assert sent[2]["id"] not in within(after=_iso(edge + one_ms))
    assert sent[2]["id"] not in within(before=sent[2]["createdAt"])  # exclusive
    assert sent[2]["id"] in within(before=_iso(edge + one_ms))
    assert within(after=sent[1]["createdAt"], before=sent[3]["createdAt"]) == expected(_ms(sent[1]["createdAt"]),
                                                                                      _ms(sent[3]["createdAt"]))
    assert within(after=sent[1]["createdAt"]) == expected(_ms(sent[1]["createdAt"]))
    # The same range on a recipient's history, with the seed's shape otherwise.
    to = f"range-{_tag()}@example.org"
    mine = [_send(local_api, to, f"r{n}") for n in range(3)]
    flt = {"to": to, "createdAfter": mine[1]["createdAt"]}
    assert [m["id"] for p in _pages(local_api, flt, first=1) for m in p["data"]] == [m["id"] for m in mine[1:]]


def test_a_status_filter_pages_full_when_matches_are_sparse(local_api):
    sender = f"sparse-{_tag()}"
    failing = []
    for n in range(80):
        if n % 20 == 10:  # 4 in 80: bounces, FAILED once their receipt arrives
            failing.append(_send(local_api, f"bounce+{_tag()}@simulator.amazonses.com", f"b{n}", senderId=sender)["id"])
        else:
            _send(local_api, f"ok{n}-{_tag()}@example.org", f"ok{n}", senderId=sender)
    wait_for(lambda: all(local_api.graphql(GET, {"id": i})[1]["data"]["getMessage"]["deliveryStatus"] == "FAILED"
                         for i in failing))
    pages = _pages(local_api, {"senderId": sender, "status": ["FAILED"]}, first=2)
    assert [len(p["data"]) for p in pages] == [2, 2]
    assert [p["pageInfo"]["hasNextPage"] for p in pages] == [True, False]
    assert [m["id"] for p in pages for m in p["data"]] == failing
    both = _pages(local_api, {"senderId": sender, "status": ["FAILED", "DELIVERED", "ACCEPTED"]}, first=40)
    assert [len(p["data"]) for p in both] == [40, 40]


def test_a_delivery_method_filter_keeps_one_channel(local_api):
    sender = f"method-{_tag()}"
    sms = []
    for n in range(9):
        if n % 3 == 2:
            sms.append(_send(local_api, "+14155550123", f"sms {n}", "SMS", senderId=sender)["id"])
        else:
            _send(local_api, f"m{n}-{_tag()}@example.org", f"mail {n}", senderId=sender)
    pages = _pages(local_api, {"senderId": sender, "deliveryMethod": "SMS"}, first=3)
    assert [len(p["data"]) for p in pages] == [3] and pages[0]["pageInfo"]["hasNextPage"] is False
    assert [m["id"] for m in pages[0]["data"]] == sms


def test_two_keys_or_none_is_a_bad_request_naming_the_fields(local_api):
    message = _bad_request(_page(local_api, {"to": "a@example.org", "senderId": "shop"}, 2))
    assert "filter.to" in message and "filter.senderId" in message and "filter.reference" in message
    message = _bad_request(_page(local_api, {"senderId": "shop", "reference": "r"}, 2))
    assert "filter.senderId, filter.reference" in message
    assert "filter.to" in _bad_request(_page(local_api, {}, 2))


def test_a_cursor_from_another_filter_is_a_bad_request(local_api):
    sender = f"cursor-{_tag()}"
    for n in range(3):
        _send(local_api, f"c{n}-{_tag()}@example.org", f"c{n}", senderId=sender, reference=f"{sender}-ref")
    cursor = _page(local_api, {"senderId": sender}, 1)["data"]["getMessages"]["pageInfo"]["endCursor"]
    assert cursor
    for other in ({"reference": f"{sender}-ref"}, {"senderId": sender, "status": ["DELIVERED"]},
                  {"senderId": sender, "createdAfter": "2020-01-01T00:00:00.000Z"}, {"senderId": sender + "x"}):
        assert "another filter" in _bad_request(_page(local_api, other, 1, after=cursor))
    assert "errors" not in _page(local_api, {"senderId": sender}, 1, after=cursor)
