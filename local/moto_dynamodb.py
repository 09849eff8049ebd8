"""Two of moto's DynamoDB copies made cheaper for the local mode, with the same results.

1. Transactions rolled back item by item instead of by copying whole tables.

moto makes `TransactWriteItems` all-or-nothing by deep-copying every table the transaction names before
it starts and putting the copies back when an operation fails. The copy costs time in proportion to the
table: in the local mode every send runs one transaction (the send limits), so with a few thousand
messages in the table the copy was about half of the process's time (py-spy, docs/benchmarks.md) and a
send got slower with every send before it.

Here the transaction keeps, before it runs, a copy of only the items it names (at most 100, one per
key: moto refuses two operations on one key), lets moto run it unchanged, and if moto rolls back, puts
exactly those items back (an item that did not exist is removed again). Everything else moto does is
untouched: its checks, its errors, what it writes. A transaction is atomic towards other requests
because the local mode answers one DynamoDB request at a time (local/in_process_aws.py). A table with a
stream keeps moto's own copy (its stream records and Lambda triggers cannot be taken back item by item).

2. Update expressions: moto parses the expression, then deep-copies the parsed tree before checking it
against the item (it may check one tree twice). `copy.deepcopy` walks each node through the generic
reduce protocol, and that copy cost five times the parse (py-spy: about 8 % of the local mode's time under
load). The tree's nodes are plain objects (attributes, lists, parent links): `_copy_tree` copies them
directly, with the same memo (so parent links point into the copy), and hands anything else to
`copy.deepcopy`.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.dynamodb.parsing import validators

_in_transaction = threading.local()


def journal_transactions() -> None:
    """Installs the item-by-item rollback and the expression tree copy (idempotent)."""
    if getattr(DynamoDBBackend, "_local_journalled", False):
        return
    run = DynamoDBBackend.transact_write_items

    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        journal = _journal(self, transact_items)
        if journal is None:  # a table with a stream, or more than moto accepts: moto's own way
            return run(self, transact_items)
        _in_transaction.active = True
        try:
            return run(self, transact_items)
        except Exception:
            _in_transaction.active = False
            _restore(journal)
            raise
        finally:
            _in_transaction.active = False

    def table_deepcopy(self: Table, memo: dict[int, Any]) -> Table:
        if getattr(_in_transaction, "active", False):
            return self  # moto's "backup" is the live table; the journal does the rollback
        return copy._reconstruct(self, memo, *self.__reduce_ex__(4))  # what deepcopy does without this hook

    DynamoDBBackend.transact_write_items = transact_write_items
    Table.__deepcopy__ = table_deepcopy
    validators.deepcopy = copy_tree
    DynamoDBBackend._local_journalled = True


def _journal(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> list[tuple] | None:
    """(table, hash, range, a copy of the item or None) for every key the transaction names."""
    if len(transact_items) > 100:
        return None
    journal = []
    for entry in transact_items:
        try:
            (op_type, op), = entry.items()
            table = backend.tables.get(op.get("TableName"))
        except (AttributeError, ValueError):
            continue  # moto refuses it before writing anything
        if table is None:
            continue
        if table.stream_shard is not None:
            return None
        attrs = op.get("Item") if op_type == "Put" else op.get("Key")
        if not isinstance(attrs, dict) or table.hash_key_attr not in attrs:
            continue
        if table.range_key_attr is not None and table.range_key_attr not in attrs:
            continue
        hash_value = DynamoType(attrs[table.hash_key_attr])
        range_value = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr else None
        current = _current(table, hash_value, range_value)
        journal.append((table, hash_value, range_value, copy.deepcopy(current)))
    return journal


def _current(table: Table, hash_value: DynamoType, range_value: DynamoType | None):
    if range_value is None:
        return table.items.get(hash_value)
    return table.items.get(hash_value, {}).get(range_value)


def _restore(journal: list[tuple]) -> None:
    for table, hash_value, range_value, before in reversed(journal):
        if range_value is None:
            if before is None:
                table.items.pop(hash_value, None)
            else:
                table.items[hash_value] = before
        elif before is None:
            table.items.get(hash_value, {}).pop(range_value, None)
        else:
            table.items[hash_value][range_value] = before


_ATOMS = frozenset({str, int, float, bool, bytes, type(None)})
_PLAIN: dict[type, bool] = {}


def copy_tree(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """What `copy.deepcopy(value)` returns, faster for trees of plain objects, lists and dicts."""
    return _copy(value, {} if memo is None else memo)


def _copy(value: Any, memo: dict[int, Any]) -> Any:
    cls = type(value)
    if cls in _ATOMS:
        return value
    done = memo.get(id(value))
    if done is not None:
        return done
    if cls is list:
        new_list: list = []
        memo[id(value)] = new_list
        new_list.extend(_copy(item, memo) for item in value)
        return new_list
    if cls is dict:
        new_dict: dict = {}
        memo[id(value)] = new_dict
        for key, item in value.items():
            new_dict[_copy(key, memo)] = _copy(item, memo)
        return new_dict
    if _plain(cls):
        new = cls.__new__(cls)
        memo[id(value)] = new
        new.__dict__.update({name: _copy(item, memo) for name, item in value.__dict__.items()})
        return new
    return copy.deepcopy(value, memo)


def _plain(cls: type) -> bool:
    """Copied by deepcopy as a new object with a copied __dict__: no hook of its own, no slots, no custom state."""
    plain = _PLAIN.get(cls)
    if plain is None:
        plain = _PLAIN[cls] = (
            cls.__reduce_ex__ is object.__reduce_ex__
            and cls.__reduce__ is object.__reduce__
            and getattr(cls, "__deepcopy__", None) is None
            and getattr(cls, "__getstate__", object.__getstate__) is object.__getstate__
            and not hasattr(cls, "__setstate__")
            and cls.__new__ is object.__new__
            and all("__slots__" not in vars(base) for base in cls.__mro__[:-1])
        )
    return plain
