"""Webhooks: Standard Webhooks signatures, URL safety, and the worker's retry decisions."""

from __future__ import annotations

import pytest

from messenger.webhooks import safety, signing
from messenger.webhooks.delivery import Deliverer
from messenger.webhooks.models import Delivery, Outcome, Webhook, WebhookEvent

# The example of the Standard Webhooks specification (spec/standard-webhooks.md, "Signature scheme").
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY = "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_specification_vector():
    assert signing.signature(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE


def test_a_post_names_itself_and_its_content_and_carries_one_signature_per_secret():
    sent = signing.headers((SPEC_SECRET, SPEC_SECRET), SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY)
    assert sent == {"webhook-id": SPEC_ID, "webhook-timestamp": str(SPEC_TIMESTAMP),
                    "webhook-signature": f"{SPEC_SIGNATURE} {SPEC_SIGNATURE}", "content-type": "application/json",
                    "user-agent": "messaging-webhooks/1"}


def test_the_reference_library_verifies_our_headers_and_both_secrets_sign_during_a_rotation():
    from standardwebhooks.webhooks import Webhook as Verifier

    import time

    old, new = signing.new_secret(), signing.new_secret()
    now = int(time.time())
    headers = signing.headers((new, old), "msg_1", now, '{"a":1}')
    assert Verifier(new).verify('{"a":1}', headers) == {"a": 1}
    assert Verifier(old).verify('{"a":1}', headers) == {"a": 1}
    assert len(headers["webhook-signature"].split(" ")) == 2 and new.startswith("whsec_")


def test_a_new_secret_is_192_random_bits_in_the_standard_form():
    import base64

    first, second = signing.new_secret(), signing.new_secret()
    assert first.startswith("whsec_") and first != second
    assert len(base64.b64decode(first.removeprefix("whsec_"), validate=True)) == 24


def test_the_previous_secret_signs_only_until_its_grace_period_ends():
    hook = Webhook("w", "https://a.example", (WebhookEvent.MESSAGE_STATUS,), "t", "whsec_new",
                   previous_secret="whsec_old", previous_secret_until="2026-01-02T00:00:00.000Z")
    assert hook.signing_secrets("2026-01-01T00:00:00.000Z") == ("whsec_new", "whsec_old")
    assert hook.signing_secrets("2026-01-03T00:00:00.000Z") == ("whsec_new",)


PUBLIC = lambda host, port: ["93.184.215.14"]  # noqa: E731


@pytest.mark.parametrize("url", [
    "http://example.com/hook",  # not https
    "https://10.1.2.3/", "https://172.16.0.1/", "https://192.168.1.1/", "https://127.0.0.1/",
    "https://169.254.169.254/latest/meta-data", "https://100.64.0.1/", "https://0.0.0.0/",
    "https://[::1]/", "https://[fe80::1]/", "https://[fc00::1]/", "https://[fd00:ec2::254]/",
    "https://[::ffff:127.0.0.1]/", "https://[::ffff:a9fe:a9fe]/", "https://[64:ff9b::a00:1]/",
    "https://[2002:a00:1::]/", "https://[::]/",
    "https://2130706433/", "https://0x7f000001/", "https://0177.0.0.1/", "https://0x7f.0.0.1/", "https://127.1/",
    "https://user:pass@example.com/", "https://localhost/", "https://exa mple.com/", "ftp://example.com/",
    "http://127.0.0.1:8080/",  # loopback only where the local mode allows it
])
def test_unsafe_urls_are_refused(url):
    with pytest.raises(safety.UnsafeUrl):
        safety.check(url, allow_loopback=False, resolve=PUBLIC)


PRIVATE = "host resolves to a private, loopback, link-local or metadata address"
LONGEST = "https://hooks.example.com/" + "a" * (2048 - len("https://hooks.example.com/"))


@pytest.mark.parametrize(("url", "resolved", "reason"), [
    (None, [], "not a URL"),
    (LONGEST + "a", [], "not a URL"),
    ("https://exa mple.com/", [], "not a URL"),
    ("https://example.com:99999/", [], "not a URL"),
    ("https://user@example.com/", [], "credentials in the URL are not accepted"),
    ("https://:secret@example.com/", [], "credentials in the URL are not accepted"),
    ("http://example.com/hook", [], "only https:// URLs are accepted"),
    ("http://127.0.0.1/hook", [], "only https:// URLs are accepted"),  # loopback needs its port
    ("https://0x7f.0.0.1/", [], "an IP address in a non-standard form is not accepted"),
    ("https://localhost/", [], "not a valid host name"),
    ("https://-bad-.example.com/", [], "not a valid host name"),
    ("https://nowhere.example.com/", [], "host does not resolve"),
    ("https://10.1.2.3/", [], PRIVATE),
    ("https://link.example.com/", ["fe80::1%eth0"], PRIVATE),  # a scoped address, as getaddrinfo gives it
    ("https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", [], PRIVATE),  # Teredo around 192.0.2.45
])
def test_each_refused_url_says_why(url, resolved, reason):
    with pytest.raises(safety.UnsafeUrl) as refused:
        safety.check(url, allow_loopback=True, resolve=lambda host, port: resolved)
    assert str(refused.value) == reason


def test_the_name_and_port_of_the_url_are_what_is_resolved():
    asked = []
    safety.check("https://Hooks.Example.com:8443/x", allow_loopback=False,
                 resolve=lambda host, port: asked.append((host, port)) or ["93.184.215.14"])
    safety.check("https://hooks.example.com/x", allow_loopback=False,
                 resolve=lambda host, port: asked.append((host, port)) or ["93.184.215.14"])
    assert asked == [("hooks.example.com", 8443), ("hooks.example.com", 443)]


def test_a_scoped_public_ipv6_address_is_accepted_and_a_scoped_link_local_one_is_not():
    assert safety.is_public("2606:4700::1111%eth0") and not safety.is_public("fe80::1%eth0")


def test_a_url_of_the_longest_length_and_a_nat64_address_of_a_public_host_are_accepted():
    assert safety.check(LONGEST, allow_loopback=False, resolve=PUBLIC) == ("hooks.example.com", 443, ["93.184.215.14"])
    assert safety.check("https://[64:ff9b::808:808]:8443/", allow_loopback=False, resolve=PUBLIC) == (
        "64:ff9b::808:808", 8443, ["64:ff9b::808:808"])  # NAT64 of 8.8.8.8


def test_a_name_resolving_to_a_private_address_is_refused_even_if_one_address_is_public():
    with pytest.raises(safety.UnsafeUrl):
        safety.check("https://rebind.example.com/", allow_loopback=False, resolve=lambda h, p: ["93.184.215.14", "10.0.0.1"])


def test_a_public_https_url_is_accepted_with_the_addresses_to_connect_to():
    assert safety.check("https://hooks.example.com/x", allow_loopback=False, resolve=PUBLIC) == (
        "hooks.example.com", 443, ["93.184.215.14"])


def test_the_local_mode_accepts_http_loopback_with_a_port_only():
    assert safety.check("http://127.0.0.1:8080/h", allow_loopback=True, resolve=PUBLIC) == (
        "127.0.0.1", 8080, ["127.0.0.1"])
    with pytest.raises(safety.UnsafeUrl):
        safety.check("http://10.0.0.1:8080/h", allow_loopback=True, resolve=PUBLIC)


def test_redirects_are_not_followed_and_not_retried():
    assert not Outcome(http_status=302).delivered and not Outcome(http_status=302).retryable


# --- the worker's decisions, over fakes ---------------------------------------------------------

class FakeTable:
    def __init__(self, webhook: Webhook) -> None:
        self.webhook, self.records, self.crash_records = webhook, [], 0

    def all(self):
        return [self.webhook]

    def get(self, webhook_id):
        return self.webhook if webhook_id == self.webhook.id else None

    def record(self, attempt, attempt_id):
        if self.crash_records:
            self.crash_records -= 1
            raise RuntimeError("crash after the POST, before recording it")
        self.records.append(attempt)

    def delivered(self, webhook_id):
        pass

    def failed(self, webhook_id, now, disable_if_failing_since):
        return self.webhook


class FakeQueue:
    def __init__(self) -> None:
        self.sent, self.parked = [], []

    def send(self, body, delay_seconds=0):
        self.sent.append((body, delay_seconds))

    def park(self, body):
        self.parked.append(body)


def deliverer(answers: list[Outcome], now=1000.0, table=None):
    posts = []

    def post(url, host, address, port, body, headers, timeout):
        posts.append(headers)
        return answers.pop(0)

    hook = Webhook("w1", "http://127.0.0.1:9/h", (WebhookEvent.MESSAGE_STATUS,), "t", signing.new_secret())
    table = table or FakeTable(hook)
    queue = FakeQueue()
    d = Deliverer(table, queue, post, schedule=[5, 300, 1800, 7200, 18000, 36000], allow_loopback=True,
                  timeout_seconds=5, disable_after_seconds=86400, now=lambda: now, resolve=PUBLIC)
    return d, table, queue, posts


def test_5xx_429_and_timeouts_are_retried_on_the_schedule_with_delays_chained_past_15_minutes():
    d, table, queue, _ = deliverer([Outcome(http_status=503)])
    d.attempt(Delivery("w1", "msg_a_1", "MESSAGE_STATUS", {"x": 1}, attempt=3))
    [(body, delay)] = queue.sent
    assert (body["attempt"], delay, body["not_before"]) == (4, 900, 1000.0 + 1800)
    assert table.records[0].next_retry_at is not None
    # received early: sent on with the rest of the delay, no POST
    early, _, queue2, posts = deliverer([], now=1000.0 + 900)
    early.attempt(Delivery("w1", "msg_a_1", "MESSAGE_STATUS", {"x": 1}, attempt=4, not_before=1000.0 + 1800))
    assert posts == [] and queue2.sent[0][1] == 900
    for outcome in (Outcome(http_status=429), Outcome(error="Timeout"), Outcome(error="Connection: ConnectionRefusedError")):
        assert outcome.retryable


def test_4xx_is_not_retried_and_the_last_attempt_goes_to_the_dead_letter_queue():
    d, _, queue, _ = deliverer([Outcome(http_status=400)])
    d.attempt(Delivery("w1", "e", "MESSAGE_STATUS", {}, attempt=1))
    assert queue.sent == [] and queue.parked == []
    d, _, queue, _ = deliverer([Outcome(http_status=500)])
    d.attempt(Delivery("w1", "e", "MESSAGE_STATUS", {}, attempt=7))
    assert queue.sent == [] and len(queue.parked) == 1


def test_a_crash_after_the_post_repeats_it_once_with_the_same_webhook_id():
    """Fault: the POST went out, recording it failed; SQS hands the same record out again."""
    d, table, queue, posts = deliverer([Outcome(http_status=200), Outcome(http_status=200)])
    table.crash_records = 1
    delivery = Delivery("w1", "msg_b_2", "MESSAGE_STATUS", {"y": 2})
    with pytest.raises(RuntimeError):
        d.attempt(delivery)
    d.attempt(delivery)  # the redelivered SQS message
    assert len(posts) == 2 and posts[0]["webhook-id"] == posts[1]["webhook-id"] == "msg_b_2"
    assert [a.delivered for a in table.records] == [True]


def test_the_sixth_attempt_still_waits_the_last_step_of_the_schedule_and_the_seventh_is_the_last():
    d, table, queue, _ = deliverer([Outcome(http_status=502)])
    d.attempt(Delivery("w1", "e", "MESSAGE_STATUS", {}, attempt=6))
    [(body, delay)] = queue.sent
    assert (body["attempt"], delay, body["not_before"]) == (7, 900, 1000.0 + 36000) and queue.parked == []
    assert table.records[0].next_retry_at == "1970-01-01T10:16:40.000Z"  # 1000 s + 36000 s after the epoch
