"""AppSync's GraphQL endpoint, called with the function's own IAM credentials (SigV4, service "appsync")."""

from __future__ import annotations

import functools
import json
import urllib.error
import urllib.request


class GraphqlCallFailed(Exception):
    """No answer, an HTTP error, or GraphQL errors in the answer."""


# How a signed request is sent: urllib's urlopen. The local mode answers its own endpoint's URL in the
# same process instead of over a socket (local/loopback.py); the request and its signature are the same.
urlopen = urllib.request.urlopen


def _credentials():
    """Lambda hands a function its role's credentials in environment variables: read them there, as the
    chain would first, without building a botocore session per call (that reads config files: several ms).
    Elsewhere the whole chain, through one session kept for the life of the process."""
    from botocore.credentials import EnvProvider

    return EnvProvider().load() or _session().get_credentials()


@functools.cache
def _session():
    from botocore.session import get_session

    return get_session()


def signed_request(url: str, body: bytes, region: str) -> urllib.request.Request:
    """A POST of `body` to `url`, SigV4-signed for AppSync with this process's AWS credentials."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    credentials = _credentials()
    if credentials is None:
        raise GraphqlCallFailed("no AWS credentials")
    request = AWSRequest(method="POST", url=url, data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(credentials.get_frozen_credentials(), "appsync", region).add_auth(request)
    return urllib.request.Request(url, data=body, headers=dict(request.headers.items()), method="POST")


def call_graphql(url: str, region: str, query: str, variables: dict, timeout: float) -> dict:
    body = json.dumps({"query": query, "variables": variables}).encode()
    try:
        with urlopen(signed_request(url, body, region), timeout=timeout) as answer:
            result = json.loads(answer.read())
    except urllib.error.HTTPError as error:
        raise GraphqlCallFailed(f"HTTP {error.code}") from None
    if result.get("errors"):
        types = sorted({str(e.get("errorType")) for e in result["errors"] if isinstance(e, dict)})
        raise GraphqlCallFailed(f"GraphQL errors: {', '.join(types)}")
    return result
