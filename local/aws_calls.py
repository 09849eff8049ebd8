"""Counts the AWS API calls made in the local mode, by who made them (for bench/ and tests).

`handlers`: the calls the Lambda handlers make through `messenger.adapters.aws.client` (what the same
code bills in AWS). `event source`: the SQS calls the poller makes where Lambda's event source
mapping would (receive, delete).
"""

from __future__ import annotations

import collections
import functools
import threading

from local.http import LocalHttpServer, json_response


class AwsCallCounter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)

    def add_routes(self, server: LocalHttpServer) -> None:
        from local.in_process_aws import moto_cpu

        server.add_get("/local/aws-calls", lambda _: json_response(200, self.snapshot()))
        server.add_get("/local/cpu", lambda _: json_response(200, moto_cpu.snapshot()))

    def watch(self, client, who: str):
        service = client.meta.service_model.service_name

        def count(model, **_):
            with self._lock:
                self._counts[who][f"{service}.{model.name}"] += 1

        client.meta.events.register("before-call", count)
        return client

    def instrument_handlers(self, *also) -> None:
        """Wrap the handlers' client factory, so every client it makes is watched (and given to `also`)."""
        from messenger.adapters import aws

        make = aws.client.__wrapped__

        def made(*args, **kwargs):
            client = self.watch(make(*args, **kwargs), "handlers")
            for watcher in also:
                client = watcher(client)
            return client

        aws.client = functools.cache(made)

    def snapshot(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {who: dict(counter) for who, counter in self._counts.items()}
