"""Operators' wrapper for managing API clients through the API itself (an ADMIN key is needed).

    MESSAGING_URL=https://.../graphql MESSAGING_API_KEY=<admin key> python tools/clients.py create shop SEND,READ
    python tools/clients.py list | rotate <id> | revoke <id> | erase <recipient>

Defaults: the local mode (http://127.0.0.1:4000/graphql, its default key). Queries travel with
variables, never inlined, so request logs cannot hold their values. The new key is printed once:
store it where the client application keeps secrets.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request

CLIENT = "client { id name scopes status createdAt revokedAt }"
OPERATIONS = {
    "create": ("mutation c($input: ApiClientInput!) { createApiClient(input: $input) { key expiresAt %s } }" % CLIENT,
               lambda name, scopes: {"input": {"name": name, "scopes": [s.strip().upper() for s in scopes.split(",")]}}),
    "list": ("query l($after: String) { getApiClients(first: 100, after: $after) { data { id name scopes status } "
             "pageInfo { hasNextPage endCursor } } }", lambda: {}),
    "rotate": ("mutation r($id: ID!) { rotateApiClientKey(id: $id) { key expiresAt %s } }" % CLIENT,
               lambda client_id: {"id": client_id}),
    "revoke": ("mutation r($id: ID!) { revokeApiClient(id: $id) { id name status revokedAt } }",
               lambda client_id: {"id": client_id}),
    "erase": ("mutation e($to: String!) { eraseRecipient(to: $to) { to messages idempotencyKeys suppressions "
              "keptSuppression complete } }", lambda to: {"to": to}),
}


def call(url: str, key: str, query: str, variables: dict) -> dict:
    body = json.dumps({"query": query, "variables": variables}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json", "x-api-key": key})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        return json.loads(error.read() or b"{}")


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in OPERATIONS:
        print(__doc__, file=sys.stderr)
        return 2
    query, variables = OPERATIONS[argv[0]]
    try:
        values = variables(*argv[1:])
    except TypeError:
        print(__doc__, file=sys.stderr)
        return 2
    url = os.environ.get("MESSAGING_URL", "http://127.0.0.1:4000/graphql")
    key = os.environ.get("MESSAGING_API_KEY", "da2-local-development-key")
    while True:
        answer = call(url, key, query, values)
        print(json.dumps(answer, indent=2))
        if answer.get("errors"):
            return 1
        data = next(iter(answer["data"].values()))
        if argv[0] == "erase" and not data["complete"]:
            continue  # the time budget ran out: go on where it stopped
        if argv[0] == "list" and data["pageInfo"]["hasNextPage"]:
            values = {"after": data["pageInfo"]["endCursor"]}
            continue
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
