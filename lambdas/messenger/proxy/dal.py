"""Proxy numbers and sessions in the table.

- pool number: PK "PROXYPOOL", SK "NUMBER#<number>" (provider, addedAt);
- session: PK "PROXYSESSIONS", SK "SESSION#<ULID>" (participants, number, provider, status, expiresAt);
- participant lock: PK = SK "PROXYLOCK#<number>#<participant>" (sessionId, validUntil): at most one open
  session of a participant on a number. A session is allocated by ONE transaction putting both locks
  (each only if absent or past its validUntil) and the session, so concurrent starts can never give a
  participant the same number twice. Ending deletes the locks (only the session's own).
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from messenger.messages.dal import is_condition_failure, partition_page
from messenger.proxy.models import OPEN, ProxyNumber, ProxySession

POOL, NUMBER_PREFIX = "PROXYPOOL", "NUMBER#"
SESSIONS, SESSION_PREFIX = "PROXYSESSIONS", "SESSION#"
LOCK_PREFIX = "PROXYLOCK#"


def _lock_key(number: str, participant: str) -> dict:
    key = f"{LOCK_PREFIX}{number}#{participant}"
    return {"PK": {"S": key}, "SK": {"S": key}}


def _session_key(session_id: str) -> dict:
    return {"PK": {"S": SESSIONS}, "SK": {"S": SESSION_PREFIX + session_id}}


def _session(item: dict) -> ProxySession:
    return ProxySession(
        id=item["SK"]["S"][len(SESSION_PREFIX):], participant_a=item["participantA"]["S"],
        participant_b=item["participantB"]["S"], number=item["number"]["S"], provider=item["provider"]["S"],
        status=item["status"]["S"], created_at=item["createdAt"]["S"], expires_at=item["validUntil"]["S"],
    )


class ProxyTable:
    def __init__(self, client, table_name: str) -> None:
        self._db = client
        self._table = table_name

    # -- the pool --------------------------------------------------------------------------------
    def add_number(self, number: ProxyNumber) -> bool:
        try:
            self._db.put_item(TableName=self._table, ConditionExpression="attribute_not_exists(PK)", Item={
                "PK": {"S": POOL}, "SK": {"S": NUMBER_PREFIX + number.number},
                "provider": {"S": number.provider}, "addedAt": {"S": number.added_at}})
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def remove_number(self, number: str) -> bool:
        old = self._db.delete_item(TableName=self._table, ReturnValues="ALL_OLD",
                                   Key={"PK": {"S": POOL}, "SK": {"S": NUMBER_PREFIX + number}})
        return "Attributes" in old

    def get_number(self, number: str) -> ProxyNumber | None:
        item = self._db.get_item(TableName=self._table, Key={"PK": {"S": POOL}, "SK": {"S": NUMBER_PREFIX + number}}).get("Item")
        return ProxyNumber(number, item["provider"]["S"], item["addedAt"]["S"]) if item else None

    def numbers(self, limit: int = 1000) -> list[ProxyNumber]:
        items, _ = partition_page(self._db, self._table, POOL, NUMBER_PREFIX, limit, None)
        return [ProxyNumber(i["SK"]["S"][len(NUMBER_PREFIX):], i["provider"]["S"], i["addedAt"]["S"]) for i in items]

    # -- sessions --------------------------------------------------------------------------------
    def allocate(self, session: ProxySession, now: str, expires_epoch: int | None) -> bool:
        """Both locks and the session in one transaction; False when a participant holds this number."""
        ttl = {"expiresAt": {"N": str(expires_epoch)}} if expires_epoch else {}
        free = "attribute_not_exists(PK) OR validUntil <= :now"
        locks = [{"Put": {"TableName": self._table, "ConditionExpression": free,
                          "ExpressionAttributeValues": {":now": {"S": now}},
                          "Item": {**_lock_key(session.number, p), "sessionId": {"S": session.id},
                                   "validUntil": {"S": session.expires_at}, **ttl}}}
                 for p in (session.participant_a, session.participant_b)]
        item = {**_session_key(session.id), "participantA": {"S": session.participant_a},
                "participantB": {"S": session.participant_b}, "number": {"S": session.number},
                "provider": {"S": session.provider}, "status": {"S": session.status},
                "createdAt": {"S": session.created_at}, "validUntil": {"S": session.expires_at}, **ttl}
        try:
            self._db.transact_write_items(TransactItems=[*locks, {"Put": {
                "TableName": self._table, "Item": item, "ConditionExpression": "attribute_not_exists(PK)"}}])
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "TransactionCanceledException":
                return False
            raise
        return True

    def session_of(self, number: str, participant: str) -> ProxySession | None:
        lock = self._db.get_item(TableName=self._table, Key=_lock_key(number, participant), ConsistentRead=True).get("Item")
        return self.get_session(lock["sessionId"]["S"]) if lock else None

    def get_session(self, session_id: str) -> ProxySession | None:
        item = self._db.get_item(TableName=self._table, Key=_session_key(session_id), ConsistentRead=True).get("Item")
        return _session(item) if item else None

    def page_sessions(self, limit: int, after: str | None) -> tuple[list[ProxySession], bool]:
        items, cut_short = partition_page(self._db, self._table, SESSIONS, SESSION_PREFIX, limit,
                                          _session_key(after) if after else None)
        return [_session(i) for i in items], cut_short

    def close(self, session: ProxySession, now: str) -> ProxySession | None:
        """OPEN -> CLOSED once (None when it was closed already); the locks are released."""
        try:
            result = self._db.update_item(
                TableName=self._table, Key=_session_key(session.id), UpdateExpression="SET #s = :closed, endedAt = :now",
                ConditionExpression="#s = :open", ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":closed": {"S": "CLOSED"}, ":open": {"S": OPEN}, ":now": {"S": now}},
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if is_condition_failure(error):
                return None
            raise
        for participant in (session.participant_a, session.participant_b):
            try:
                self._db.delete_item(TableName=self._table, Key=_lock_key(session.number, participant),
                                     ConditionExpression="sessionId = :id",
                                     ExpressionAttributeValues={":id": {"S": session.id}})
            except ClientError as error:
                if not is_condition_failure(error):
                    raise
        return _session(result["Attributes"])
