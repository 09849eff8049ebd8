"""Who a key belongs to, what it may call, and managing clients (create, list, rotate, revoke).

Identifying: the key's SHA-256 is looked up (one GetItem), the answer kept `cache_seconds` per
instance (misses too). A key AppSync accepted but the registry does not know is the stack's own key
when AppSync lists it with the stack key's description: it is registered on the spot as the client
`stack` with every live scope, so a single-key deployment keeps working after the upgrade. Any other
unknown key, a revoked one, or one past its rotation grace is refused as AppSync refuses a bad key.

On AWS, AppSync itself refuses a deleted key (HTTP 401) before any resolver runs; a key rotated out is
refused here from the end of its grace (AppSync keys cannot expire sooner than a day ahead: AppSync
keeps accepting it until then, and this refusal covers the gap).
"""

from __future__ import annotations

import hmac
import logging
import time
import uuid
from collections.abc import Callable

from messenger.clients.models import (
    ACTIVE,
    STACK_CLIENT,
    ApiClient,
    NotFound,
    Unauthorized,
    check_scopes,
    key_hash,
)
from messenger.clients.ports import ApiKeys, ClientRepository
from messenger.core.caller import Caller
from messenger.core.clock import iso
from messenger.core.errors import BadRequest
from messenger.messages.filters import id_connection, id_page_arguments

log = logging.getLogger(__name__)

DAY = 86_400
HOUR = 3_600
MAX_NAME = 100
DESCRIPTION_PREFIX = "client:"  # an AppSync key's description names its client: revoking finds them by it


def appsync_expiry(at: int, now: int) -> int:
    """An AppSync key expiry for `at`: at least a day ahead (AppSync's minimum), on the next full hour."""
    wanted = max(at, now + DAY)
    return wanted + (-wanted % HOUR)


class ClientService:
    def __init__(
        self, repository: ClientRepository, keys: ApiKeys, clock, *, cache_seconds: int, grace_seconds: int,
        key_valid_days: int, stack_key_description: str, new_id: Callable[[], str] = lambda: uuid.uuid4().hex[:12],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:  # fmt: skip
        self._repo = repository
        self._keys = keys
        self._clock = clock
        self._cache_seconds = cache_seconds
        self._grace = grace_seconds
        self._key_days = key_valid_days
        self._stack_description = stack_key_description
        self._new_id = new_id
        self._monotonic = monotonic
        self._cache: dict[str, tuple[float, object]] = {}

    # -- identifying ---------------------------------------------------------------------------
    def identify(self, key: str | None) -> Caller:
        if not isinstance(key, str) or not key:
            raise Unauthorized()
        digest = key_hash(key)
        cached = self._cache.get(digest)
        if cached is not None and self._monotonic() - cached[0] < self._cache_seconds:
            record = cached[1]
        else:
            record = self._repo.get_key(digest) or self._bootstrap(key, digest)
            self._cache[digest] = (self._monotonic(), record)
        if record is None or (record.valid_until is not None and self._clock.epoch() >= record.valid_until):
            raise Unauthorized()
        return record.caller()

    def _bootstrap(self, key: str, digest: str):
        for issued in self._keys.list():
            if hmac.compare_digest(issued.key.encode(), key.encode()):
                if issued.description != self._stack_description:
                    return None
                record = self._repo.register_stack_key(digest, self._clock.now())
                if record is not None:
                    log.info("the stack's API key registered as client 'stack'")
                return record
        return None

    def forget(self) -> None:
        self._cache.clear()

    # -- managing ------------------------------------------------------------------------------
    def create(self, args: dict) -> dict:
        raw = args.get("input") if isinstance(args.get("input"), dict) else {}
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
            raise BadRequest("name", f"1 to {MAX_NAME} characters")
        scopes = check_scopes(raw.get("scopes"))
        client = ApiClient(self._new_id(), name.strip(), scopes, ACTIVE, self._clock.now())
        issued = self._issue(client.id)
        self._repo.create(client, key_hash(issued.key))
        self._cache.clear()
        log.info("API client created", extra={"clientId": client.id, "scopes": list(scopes)})
        return self._answer(client, issued)

    def page(self, args: dict) -> dict:
        first, after = id_page_arguments(args)
        found, cut_short = self._repo.page(first + 1, after)
        return id_connection(found, first, cut_short)

    def rotate(self, args: dict) -> dict:
        client = self._active(args.get("id"))
        issued = self._issue(client.id)
        if not self._repo.add_key(client, key_hash(issued.key)):
            self._keys.delete(issued.key)
            raise NotFound(f"client {client.id} is not active")
        now = self._clock.epoch()
        until = now + self._grace
        for old in self._keys.list():
            digest = key_hash(old.key)
            if digest in client.key_hashes and self._repo.end_key(digest, until, until + DAY):
                if self._grace <= 0:
                    self._keys.delete(old.key)
                elif appsync_expiry(until, now) < old.expires:
                    self._keys.expire_at(old.key, appsync_expiry(until, now))
        self._cache.clear()
        log.info("API client key rotated", extra={"clientId": client.id, "graceSeconds": self._grace})
        return self._answer(client, issued)

    def revoke(self, args: dict) -> dict:
        client_id = self._id(args.get("id"))
        revoked = self._repo.revoke(client_id, self._clock.now())
        if revoked is None:
            raise NotFound(f"no client {client_id}")
        tag = DESCRIPTION_PREFIX + client_id
        for issued in self._keys.list():
            if issued.description == tag or (client_id == STACK_CLIENT and issued.description == self._stack_description):
                self._keys.delete(issued.key)
        self._cache.clear()
        log.info("API client revoked", extra={"clientId": client_id})
        return revoked.to_graphql()

    # -- helpers -------------------------------------------------------------------------------
    def _issue(self, client_id: str):
        now = self._clock.epoch()
        expires = now + self._key_days * DAY
        return self._keys.create(DESCRIPTION_PREFIX + client_id, expires - expires % HOUR)

    def _answer(self, client: ApiClient, issued) -> dict:
        return {"client": client.to_graphql(), "key": issued.key, "expiresAt": _iso_epoch(issued.expires)}

    def _id(self, raw) -> str:
        if not isinstance(raw, str) or not raw or len(raw) > 64 or not raw.isalnum():
            raise BadRequest("id", "not a client id")
        return raw

    def _active(self, raw) -> ApiClient:
        client = self._repo.get_client(self._id(raw))
        if client is None or client.status != ACTIVE:
            raise NotFound(f"no active client {raw}")
        return client


def _iso_epoch(epoch: int) -> str:
    import datetime as dt

    return iso(dt.datetime.fromtimestamp(epoch, dt.timezone.utc))
