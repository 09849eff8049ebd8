"""API clients: the stack key's bootstrap, issuing, rotating and revoking keys, and what a key may call.

The real dal and AppSync adapter over moto (in-process), a clock the tests move.
"""

import datetime as dt
import itertools

import boto3
import pytest
from messenger.adapters.appsync_keys import AppSyncKeys
from messenger.clients.dal import ClientsTable
from messenger.clients.logic import DAY, ClientService
from messenger.clients.models import ApiClient, Unauthorized, NotFound, check_scopes, key_hash
from messenger.core.caller import Caller, acting_as, refuse_test_caller
from messenger.core.clock import iso
from messenger.core.errors import BadRequest

from local.api_keys import LocalApiKeys, create_api
from stacks.config import load_cdk_json_config
from stacks.wiring import TABLE, Wiring, stack_key_description

STACK_KEY = "da2-stack-key-for-tests"
REGION = "us-east-1"


class Clock:
    def __init__(self) -> None:
        self.moment = dt.datetime.now(dt.timezone.utc)

    def now(self) -> str:
        return iso(self.moment)

    def epoch(self) -> int:
        return int(self.moment.timestamp())

    def ago(self, seconds: int) -> str:
        return iso(self.moment - dt.timedelta(seconds=seconds))

    def advance(self, seconds: int) -> None:
        self.moment += dt.timedelta(seconds=seconds)


class World:
    def __init__(self, table: str, grace=3600, cache_seconds=0) -> None:
        from local.resources import _create_table

        self.name = table
        _create_table(Wiring(functions=(), resolvers=(), queues=(), table=TABLE), table)
        description = stack_key_description(load_cdk_json_config())
        self.api_id = create_api(REGION, "api", STACK_KEY, description, dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=30))
        self.appsync = boto3.client("appsync", region_name=REGION)
        self.keys = AppSyncKeys(self.appsync, self.api_id)
        self.table = ClientsTable(boto3.client("dynamodb", region_name=REGION), table)
        self.clock = Clock()
        self.ticks = [0.0]
        self.service = ClientService(
            self.table, self.keys, self.clock, cache_seconds=cache_seconds, grace_seconds=grace, key_valid_days=90,
            stack_key_description=description, monotonic=lambda: self.ticks[0],
        )
        self.local = LocalApiKeys(REGION, self.api_id)

    def items(self):
        return boto3.client("dynamodb", region_name=REGION).scan(TableName=self.name)["Items"]


@pytest.fixture(scope="module")
def aws():
    """One moto for the module (each test has its own table and API in it)."""
    from moto import mock_aws

    with pytest.MonkeyPatch.context() as patch:
        for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                            "AWS_DEFAULT_REGION": REGION}.items():  # fmt: skip
            patch.setenv(name, value)
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        with mock_aws():
            yield itertools.count()


@pytest.fixture
def world(aws):
    return World(f"t{next(aws)}")


def create(world, name="shop", scopes=("SEND",)):
    return world.service.create({"input": {"name": name, "scopes": list(scopes)}})


def test_the_stack_key_is_registered_with_every_live_scope_on_first_use(world):
    caller = world.service.identify(STACK_KEY)
    assert caller.client_id == "stack" and caller.scopes == {"SEND", "READ", "ADMIN"} and not caller.test
    assert world.table.get_key(key_hash(STACK_KEY)).client_id == "stack"
    assert STACK_KEY not in str(world.items())  # only its hash is kept


def test_a_key_appsync_holds_for_no_client_is_refused(world):
    stray = world.keys.create("made by hand", world.clock.epoch() + 2 * DAY).key
    for key in (stray, "da2-never-issued", "", None):
        with pytest.raises(Unauthorized) as refused:
            world.service.identify(key)
        # what AppSync itself answers a key it does not accept, and nothing more (no hint of why)
        assert (refused.value.error_type, refused.value.message, refused.value.info) == (
            "UnauthorizedException", "You are not authorized to make this call.", None)


def test_a_created_client_gets_its_own_key_with_its_scopes(world):
    answer = create(world, scopes=["READ", "SEND"])
    assert answer["client"]["scopes"] == ["SEND", "READ"] and answer["client"]["status"] == "ACTIVE"
    caller = world.service.identify(answer["key"])
    assert caller.client_id == answer["client"]["id"] and caller.scopes == {"SEND", "READ"}
    assert world.local.accepts(answer["key"])  # a real AppSync key of this API (moto's here)
    assert answer["key"] not in str(world.items())
    page = world.service.page({"first": 10})
    assert [c["name"] for c in page["data"]] == ["shop"]
    assert page["pageInfo"] == {"hasNextPage": False, "endCursor": answer["client"]["id"]}


def test_clients_page_by_id_with_the_last_id_as_cursor(world):
    ids = sorted(create(world, name=f"c{n}")["client"]["id"] for n in range(3))
    first = world.service.page({"first": 2})
    assert [c["id"] for c in first["data"]] == ids[:2] and first["pageInfo"] == {"hasNextPage": True, "endCursor": ids[1]}
    rest = world.service.page({"first": 2, "after": ids[1]})
    assert [c["id"] for c in rest["data"]] == ids[2:] and rest["pageInfo"]["hasNextPage"] is False


def test_a_test_client_is_flagged(world):
    answer = create(world, scopes=["SEND", "TEST"])
    assert world.service.identify(answer["key"]).test


@pytest.mark.parametrize("scopes, problem", [
    ([], "give at least one scope"),
    ("SEND", "give at least one scope"),
    (["ROOT"], "unknown scope 'ROOT'"),
    (["SEND", "send"], "unknown scope 'send'"),
    (["TEST"], "TEST marks a sending client as a test one: give SEND with it"),
    (["READ", "TEST"], "TEST marks a sending client as a test one: give SEND with it"),
    (["SEND", "TEST", "ADMIN"], "a TEST client cannot hold ADMIN (it would reach live data)"),
])
def test_scopes_that_make_no_sense_are_refused_saying_what_to_change(scopes, problem):
    with pytest.raises(BadRequest) as refused:
        check_scopes(scopes)
    assert (refused.value.field, refused.value.message) == ("scopes", f"scopes: {problem}")


def test_a_field_outside_the_keys_scopes_is_forbidden_naming_the_scope_it_needs():
    from messenger.clients.models import Forbidden

    error = Forbidden("eraseRecipient", "ADMIN")
    assert (error.error_type, error.message, error.info) == (
        "Forbidden", "eraseRecipient needs scope ADMIN", {"field": "eraseRecipient", "scope": "ADMIN"})


def test_a_client_is_shown_with_the_fields_the_schema_names():
    client = ApiClient(id="c1", name="shop", scopes=("SEND", "READ"), status="REVOKED",
                       created_at="2026-11-23T10:00:00.000Z", revoked_at="2026-11-24T10:00:00.000Z")
    assert client.to_graphql() == {"id": "c1", "name": "shop", "scopes": ["SEND", "READ"], "status": "REVOKED",
                                   "createdAt": "2026-11-23T10:00:00.000Z", "revokedAt": "2026-11-24T10:00:00.000Z"}


def test_rotation_keeps_the_old_key_for_the_grace_period_only(world):
    first = create(world)
    second = world.service.rotate({"id": first["client"]["id"]})
    assert second["key"] != first["key"]
    assert world.service.identify(first["key"]).client_id == world.service.identify(second["key"]).client_id
    world.clock.advance(3599)
    world.service.identify(first["key"])
    world.clock.advance(1)
    with pytest.raises(Unauthorized):
        world.service.identify(first["key"])
    assert world.service.identify(second["key"])
    # AppSync keeps the old key no more than a day (its minimum), on the hour
    [old] = [k for k in world.keys.list() if k.key == first["key"]]
    assert old.expires <= world.clock.epoch() + DAY + 3600


def test_a_rotated_out_key_records_its_end_and_its_expiry_a_day_later(world):
    first = create(world)
    now = world.clock.epoch()
    world.service.rotate({"id": first["client"]["id"]})
    [item] = [i for i in world.items() if i["PK"]["S"].endswith(key_hash(first["key"]))]
    assert (int(item["validUntil"]["N"]), int(item["expiresAt"]["N"])) == (now + 3600, now + 3600 + DAY)


@pytest.mark.parametrize(("grace", "old_key_kept"), [(0, False), (1, True)])
def test_without_a_grace_period_the_old_key_is_deleted_at_once(aws, grace, old_key_kept):
    world = World(f"t{next(aws)}", grace=grace)
    first = create(world)
    world.service.rotate({"id": first["client"]["id"]})
    assert world.local.accepts(first["key"]) is old_key_kept


def test_a_new_key_expires_after_the_configured_days_on_the_hour_before(world):
    import datetime as dt

    answer = create(world)
    expires = world.clock.epoch() + 90 * DAY
    expires -= expires % 3600
    [issued] = [k for k in world.keys.list() if k.key == answer["key"]]
    assert issued.expires == expires
    assert answer["expiresAt"] == iso(dt.datetime.fromtimestamp(expires, dt.timezone.utc))
    assert answer["expiresAt"].endswith(":00:00.000Z")


@pytest.mark.parametrize("args", [{}, {"input": "shop"}, {"input": {}}, {"input": {"name": "  "}},
                                  {"input": {"name": 7}}, {"input": {"name": "n" * 101}}])
def test_a_client_needs_a_name_of_1_to_100_characters(world, args):
    with pytest.raises(BadRequest) as refused:
        world.service.create({**args, **({"input": {**args["input"], "scopes": ["SEND"]}}
                                         if isinstance(args.get("input"), dict) else {})})
    assert (refused.value.field, str(refused.value)) == ("name", "name: 1 to 100 characters")
    assert create(world, name="n" * 100)["client"]["name"] == "n" * 100


def test_a_rotation_that_loses_to_a_revoke_leaves_no_new_key_behind(world, monkeypatch):
    first = create(world)
    before = {k.key for k in world.keys.list()}
    monkeypatch.setattr(world.table, "add_key", lambda client, digest: False)  # revoked between read and write
    with pytest.raises(NotFound, match=f"client {first['client']['id']} is not active"):
        world.service.rotate({"id": first["client"]["id"]})
    assert {k.key for k in world.keys.list()} == before  # the key issued for it is deleted, not left valid


def test_a_key_already_ending_keeps_its_first_end(world):
    digest = key_hash(create(world)["key"])
    assert world.table.end_key(digest, 1_000, 2_000) is True
    assert world.table.end_key(digest, 5_000, 6_000) is False
    assert world.table.end_key(key_hash("never-issued"), 1_000, 2_000) is False
    [item] = [i for i in world.items() if i["PK"]["S"].endswith(digest)]
    assert (item["validUntil"]["N"], item["expiresAt"]["N"]) == ("1000", "2000")


def test_revoking_deletes_every_key_at_once_and_repeats_safely(world):
    first = create(world)
    client_id = first["client"]["id"]
    second = world.service.rotate({"id": client_id})
    revoked = world.service.revoke({"id": client_id})
    assert revoked["status"] == "REVOKED" and revoked["revokedAt"]
    for key in (first["key"], second["key"]):
        assert not world.local.accepts(key)  # AppSync answers 401 from now on
        with pytest.raises(Unauthorized):
            world.service.identify(key)
    world.clock.advance(60)
    again = world.service.revoke({"id": client_id})
    assert (again["status"], again["revokedAt"]) == ("REVOKED", revoked["revokedAt"])  # the first revocation's time stays
    with pytest.raises(NotFound):
        world.service.rotate({"id": client_id})
    with pytest.raises(NotFound):
        world.service.revoke({"id": "nosuchclient"})


def test_a_revoked_stack_client_is_not_registered_again(world):
    world.service.identify(STACK_KEY)
    world.service.revoke({"id": "stack"})
    assert not world.local.accepts(STACK_KEY)
    with pytest.raises(Unauthorized):
        world.service.identify(STACK_KEY)
    assert world.table.register_stack_key(key_hash(STACK_KEY), world.clock.now()) is None


def test_revoking_a_client_deletes_its_keys_only(world):
    world.service.identify(STACK_KEY)
    shop, other = create(world, name="shop"), create(world, name="other")
    world.service.revoke({"id": shop["client"]["id"]})
    assert not world.local.accepts(shop["key"])
    assert world.local.accepts(other["key"]) and world.local.accepts(STACK_KEY)
    world.service.revoke({"id": "stack"})
    assert not world.local.accepts(STACK_KEY) and world.local.accepts(other["key"])


@pytest.mark.parametrize(("at", "now", "expiry"), [
    (0, 1_000_000, 1_087_200),  # a day ahead at least: 1,086,400, then up to the next full hour
    (1_090_800, 1_000_000, 1_090_800),  # already on an hour
    (1_090_801, 1_000_000, 1_094_400),  # a second past it: the next hour
])
def test_an_appsync_key_expires_at_least_a_day_ahead_on_a_full_hour(at, now, expiry):
    from messenger.clients.logic import appsync_expiry

    assert appsync_expiry(at, now) == expiry


@pytest.mark.parametrize("start", [0, 1_000])  # a monotonic clock starts anywhere
def test_lookups_are_cached_briefly_per_instance(world, start):
    world.ticks[0] = start
    service = ClientService(world.table, world.keys, world.clock, cache_seconds=30, grace_seconds=0,
                            key_valid_days=90, stack_key_description="x", monotonic=lambda: world.ticks[0])  # fmt: skip
    key = create(world)["key"]
    service.identify(key)
    calls = []
    world.table.get_key = lambda digest: calls.append(digest)  # a lookup now would find nothing
    world.ticks[0] = start + 29
    assert service.identify(key)  # from the cache
    world.ticks[0] = start + 30  # the cache age is over at 30 s exactly
    with pytest.raises(Unauthorized):
        service.identify(key)
    assert len(calls) == 1


def test_the_client_record_round_trips(world):
    client = ApiClient("abc", "n", ("READ",), "ACTIVE", world.clock.now())
    world.table.create(client, "h1")
    assert world.table.get_client("abc") == ApiClient("abc", "n", ("READ",), "ACTIVE", client.created_at, ("h1",))


@pytest.mark.parametrize("raw", [None, "", "a" * 65, "has-dash", 7])
def test_a_malformed_client_id_is_refused_before_any_lookup(world, raw):
    for call in (world.service.rotate, world.service.revoke):
        with pytest.raises(BadRequest) as refused:
            call({"id": raw})
        assert str(refused.value) == "id: not a client id"


def test_an_unknown_client_cannot_be_rotated_or_revoked(world):
    with pytest.raises(NotFound) as refused:
        world.service.rotate({"id": "a" * 64})
    assert str(refused.value) == f"no active client {'a' * 64}"
    with pytest.raises(NotFound) as refused:
        world.service.revoke({"id": "nosuchclient"})
    assert str(refused.value) == "no client nosuchclient"


@pytest.mark.parametrize(("caller", "refused"), [
    (None, False),  # a worker, or the logic's own tests: no request, no caller
    (Caller("c-live", frozenset({"SEND"})), False),
    (Caller("c-test", frozenset({"SEND", "TEST"}), test=True), True),
])
def test_only_a_test_client_is_refused_what_would_really_send(caller, refused):
    with acting_as(caller):
        if not refused:
            assert refuse_test_caller("input", "the code would really be sent") is None
            return
        with pytest.raises(BadRequest) as error:
            refuse_test_caller("input", "the code would really be sent")
    assert (error.value.field, error.value.message) == (
        "input", "input: not available with a TEST key: the code would really be sent")
