"""moto's DynamoDB Query for the local mode: the candidates found by key, not by sorting the whole table.

moto answers every Query, on the table or on an index, by listing and sorting every item of the table and
then keeping those whose key matches. A delivery report looks its message up on the provider-id index,
so with a 10,000-row batch in the table each report cost a sort of some 30,000 items and the reports
arrived faster than they were answered (py-spy: over half of the local mode's process; docs/benchmarks.md,
"Batches").

Here a Query on the table takes the items stored under its partition key (moto keeps them in a dict by
partition key), and a Query on a global secondary index takes the items whose index partition-key
attribute holds the value asked for, from a map kept per table: built from the table at its first such
Query, then kept current by every write moto makes (put, update in place, delete, a transaction and its
rollback). moto's own Query then runs over those candidates, in the order it would have seen them, so
its sorting, paging, filters and projections, and therefore its answers, stay its own. Everything else
(a scan, an index attribute that is not a string, number or binary) keeps moto's way.
The local mode answers one DynamoDB call at a time (local/in_process_aws.py), which the Query relies on
while it lends moto the candidates.
"""

from __future__ import annotations

import functools
from typing import Any

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

Key = tuple[DynamoType, "DynamoType | None"]


class _ValueMap:
    """For one table: index partition-key attribute -> value -> keys of the items holding it."""

    def __init__(self, table: Table) -> None:
        self.attributes = {entry["AttributeName"] for index in table.global_indexes or []
                           for entry in index.schema if entry["KeyType"] == "HASH"}
        self.keys: dict[str, dict[DynamoType, set[Key]]] = {name: {} for name in self.attributes}
        self.held: dict[Key, dict[str, DynamoType]] = {}
        for item in _every_item(table):
            self.add(item)

    def add(self, item: Item) -> None:
        key = (item.hash_key, item.range_key)
        held = {}
        for name in self.attributes:
            value = item.attrs.get(name)
            if value is None or value.type not in ("S", "N", "B"):
                continue
            self.keys[name].setdefault(value, set()).add(key)
            held[name] = value
        if held:
            self.held[key] = held

    def forget(self, key: Key) -> None:
        for name, value in self.held.pop(key, {}).items():
            keys = self.keys[name].get(value)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self.keys[name][value]


def _every_item(table: Table) -> list[Item]:
    if table.range_key_attr:
        return [item for by_range in table.items.values() for item in by_range.values()]
    return list(table.items.values())


def _stored(table: Table, hash_value: DynamoType, range_value: DynamoType | None) -> Item | None:
    if not table.range_key_attr:
        return table.items.get(hash_value)
    return table.items.get(hash_value, {}).get(range_value)


def _refresh(table: Table | None, hash_value: DynamoType, range_value: DynamoType | None) -> None:
    """Brings the table's map (if it has one yet) up to date with the item stored under this key now."""
    values = getattr(table, "_local_values", None)
    if values is None:
        return
    values.forget((hash_value, range_value))
    item = _stored(table, hash_value, range_value)  # type: ignore[arg-type]
    if item is not None:
        values.add(item)


def _in_moto_order(items: list[Item]) -> list[Item]:
    """The order moto's own listing of a table has (by partition key, then sort key)."""
    return sorted(items, key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key)


def _candidates(table: Table, hash_key: DynamoType | None, index_name: str | None,
                conditions: list[tuple[str, DynamoType]] | None) -> list[Item] | None:
    if not index_name:
        if hash_key is None:
            return None
        stored = table.items.get(hash_key)
        if stored is None:
            return []
        return _in_moto_order(list(stored.values()) if table.range_key_attr else [stored])
    if not conditions:
        return None
    name, value = conditions[0]
    if name == table.hash_key_attr:
        return _candidates(table, value, None, None)
    values = getattr(table, "_local_values", None)
    if values is None:
        values = table._local_values = _ValueMap(table)  # type: ignore[attr-defined]
    if name not in values.attributes or value.type not in ("S", "N", "B"):
        return None
    found = [_stored(table, *key) for key in values.keys[name].get(value, ())]
    return _in_moto_order([item for item in found if item is not None])


def _query(original):
    @functools.wraps(original)
    def query(self: Table, hash_key, range_comparison, range_objs, limit, exclusive_start_key,
              scan_index_forward, projection_expressions, index_name=None, consistent_read=False,
              filter_expression=None, hash_key_conditions=None, range_key_conditions=None, **filter_kwargs):
        arguments = (self, hash_key, range_comparison, range_objs, limit, exclusive_start_key, scan_index_forward,
                     projection_expressions)
        options = dict(index_name=index_name, consistent_read=consistent_read, filter_expression=filter_expression,
                       hash_key_conditions=hash_key_conditions, range_key_conditions=range_key_conditions,
                       **filter_kwargs)
        candidates = _candidates(self, hash_key, index_name, hash_key_conditions)
        if candidates is None:
            return original(*arguments, **options)
        self.all_items = lambda: candidates  # moto's Query lists the table through this one method
        try:
            return original(*arguments, **options)
        finally:
            del self.all_items

    return query


def _put(original):
    @functools.wraps(original)
    def put_item(self: Table, *args: Any, **kwargs: Any) -> Item:
        item = original(self, *args, **kwargs)
        _refresh(self, item.hash_key, item.range_key)
        return item

    return put_item


def _delete(original):
    @functools.wraps(original)
    def delete_item(self: Table, hash_key: DynamoType, range_key: DynamoType | None = None) -> Item | None:
        try:
            return original(self, hash_key, range_key)
        finally:
            _refresh(self, hash_key, range_key)

    return delete_item


def _update(original):
    @functools.wraps(original)
    def update_item(self: DynamoDBBackend, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any) -> Item:
        try:
            return original(self, table_name, key, *args, **kwargs)
        finally:  # moto changes the stored item in place
            table = self.tables.get(table_name)
            if table is not None and getattr(table, "_local_values", None) is not None:
                _refresh(table, *self.get_keys_value(table, key))

    return update_item


def _transact(original):
    @functools.wraps(original)
    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        try:
            return original(self, transact_items)
        finally:  # a rollback puts items back without the calls above
            for table, hash_value, range_value in _named_keys(self, transact_items):
                _refresh(table, hash_value, range_value)

    return transact_write_items


def _named_keys(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> list[tuple]:
    named = []
    for entry in transact_items if isinstance(transact_items, list) else []:
        try:
            (op_type, op), = entry.items()
            table = backend.tables.get(op.get("TableName"))
            attrs = op.get("Item") if op_type == "Put" else op.get("Key")
            if table is None or getattr(table, "_local_values", None) is None:
                continue
            hash_value = DynamoType(attrs[table.hash_key_attr])
            range_value = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr else None
        except (AttributeError, KeyError, TypeError, ValueError):
            continue  # moto refused it before writing anything
        named.append((table, hash_value, range_value))
    return named


def replacements() -> list[tuple[type, str, Any]]:
    """(owner, attribute, replacement) for each call taken over, built on the current ones."""
    return [
        (Table, "query", _query(Table.query)),
        (Table, "put_item", _put(Table.put_item)),
        (Table, "delete_item", _delete(Table.delete_item)),
        (DynamoDBBackend, "update_item", _update(DynamoDBBackend.update_item)),
        (DynamoDBBackend, "transact_write_items", _transact(DynamoDBBackend.transact_write_items)),
    ]


def by_key() -> None:
    """Installs the replacements for the whole process (idempotent; after `journal_transactions`)."""
    if getattr(Table, "_local_by_key", False):
        return
    for owner, name, replacement in replacements():
        setattr(owner, name, replacement)
    Table._local_by_key = True
