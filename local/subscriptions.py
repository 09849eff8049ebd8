"""AppSync subscriptions for the local mode: who subscribed to what, and what a publish reaches.

Mirrors the deployed pieces: `onMessageUpdated` is `@aws_subscribe(mutations: [...])` in the schema;
its resolver (stacks/resolvers/on_message_updated.js) refuses a subscription without arguments
(NO_ARGUMENT); a publish mutation's result (its selection set: the publisher selects every field) goes
to each subscription of that mutation whose non-null arguments all equal the published values
(AppSync's argument filtering), executed against the subscriber's own document so it receives exactly
the fields it selected.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    execute_sync,
    parse,
    validate,
)
from graphql.execution.values import get_argument_values, get_variable_values

from local.appsync import format_error, query_depth
from stacks.wiring import QUERY_DEPTH_LIMIT

NO_ARGUMENT = "{field} needs at least one argument: {names}"
log = logging.getLogger(__name__)


class SubscriptionRefused(Exception):
    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass
class Subscription:
    document: Any
    operation_name: str | None
    variables: dict[str, Any]
    field_name: str
    arguments: dict[str, Any]
    mutations: tuple[str, ...]
    send: Callable[[dict[str, Any]], None]  # the `payload` of a `data` message


def _subscribed_mutations(field) -> tuple[str, ...]:
    for directive in field.ast_node.directives:
        if directive.name.value == "aws_subscribe":
            return tuple(value.value for argument in directive.arguments for value in argument.value.values)
    return ()


class SubscriptionHub:
    def __init__(self, schema: GraphQLSchema) -> None:
        self._schema = schema
        self._subscriptions: dict[int, Subscription] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def subscribe(
        self, query: str, variables: dict[str, Any] | None, operation_name: str | None,
        send: Callable[[dict[str, Any]], None],
    ) -> int:  # fmt: skip
        """A handle for `unsubscribe`; SubscriptionRefused with AppSync-style error entries otherwise."""
        try:
            document = parse(query)
        except GraphQLError as error:
            raise SubscriptionRefused([format_error(error)]) from None
        errors = validate(self._schema, document)
        if errors:
            raise SubscriptionRefused([format_error(error) for error in errors])
        if query_depth(document) > QUERY_DEPTH_LIMIT:
            raise SubscriptionRefused([{"message": f"Query depth exceeds the maximum of {QUERY_DEPTH_LIMIT}"}])
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)
                      and (operation_name is None or (d.name and d.name.value == operation_name))]  # fmt: skip
        if len(operations) != 1 or operations[0].operation is not OperationType.SUBSCRIPTION:
            raise SubscriptionRefused([{"errorType": "UnsupportedOperation", "message": "Only subscriptions are supported here."}])
        operation = operations[0]
        coerced = get_variable_values(self._schema, operation.variable_definitions, variables or {})
        if isinstance(coerced, list):
            raise SubscriptionRefused([format_error(error) for error in coerced])
        (node,) = [s for s in operation.selection_set.selections if isinstance(s, FieldNode)]
        field = self._schema.subscription_type.fields[node.name.value]
        arguments = get_argument_values(field, node, coerced)
        if not any(value is not None for value in arguments.values()):
            message = NO_ARGUMENT.format(field=node.name.value, names=", ".join(field.args))
            raise SubscriptionRefused([{"errorType": "BadRequest", "message": message}])
        subscription = Subscription(
            document, operation_name, variables or {}, node.name.value, arguments, _subscribed_mutations(field), send
        )
        with self._lock:
            handle = next(self._ids)
            self._subscriptions[handle] = subscription
        return handle

    def unsubscribe(self, handle: int) -> None:
        with self._lock:
            self._subscriptions.pop(handle, None)

    def publish(self, mutation: str, value: dict[str, Any] | None) -> int:
        """Hands `value` (the mutation's result) to every matching subscription; how many it reached."""
        if not isinstance(value, dict):
            return 0
        with self._lock:
            targets = [(h, s) for h, s in self._subscriptions.items() if mutation in s.mutations]
        reached = 0
        for handle, subscription in targets:
            if any(given is not None and value.get(name) != given for name, given in subscription.arguments.items()):
                continue
            result = execute_sync(
                self._schema, subscription.document, root_value={subscription.field_name: value},
                variable_values=subscription.variables, operation_name=subscription.operation_name,
            )  # fmt: skip
            payload: dict[str, Any] = {"data": result.data}
            if result.errors:
                payload["errors"] = [format_error(error) for error in result.errors]
            try:
                subscription.send(payload)
                reached += 1
            except Exception:  # noqa: BLE001 - a closed connection: drop it, keep publishing
                log.info("subscription %s is gone", handle)
                self.unsubscribe(handle)
        return reached
