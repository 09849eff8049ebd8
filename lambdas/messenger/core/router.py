"""GraphQL field routing: each domain has a Router of the fields it resolves; the API composes them once.

A resolver takes the field's arguments and returns the field's value, or raises a MessagingError
(core/envelope.py turns either into the answer). Routers import nothing heavy at module level: the
API function imports every router at cold start.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

Resolver = Callable[[dict], object]
Field = tuple[str, str]  # (parent type, field name)


class Router:
    def __init__(self) -> None:
        self.fields: dict[Field, Resolver] = {}

    def resolver(self, type_name: str, field_name: str) -> Callable[[Resolver], Resolver]:
        def register(function: Resolver) -> Resolver:
            if (type_name, field_name) in self.fields:
                raise ValueError(f"{type_name}.{field_name} is registered twice")
            self.fields[(type_name, field_name)] = function
            return function

        return register

    def query(self, field_name: str) -> Callable[[Resolver], Resolver]:
        return self.resolver("Query", field_name)

    def mutation(self, field_name: str) -> Callable[[Resolver], Resolver]:
        return self.resolver("Mutation", field_name)


def compose(routers: Iterable[Router]) -> dict[Field, Resolver]:
    fields: dict[Field, Resolver] = {}
    for router in routers:
        for field, resolver in router.fields.items():
            if field in fields:
                raise ValueError(f"{field[0]}.{field[1]} is resolved by two routers")
            fields[field] = resolver
    return fields
