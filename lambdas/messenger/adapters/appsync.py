"""AppSync's GraphQL endpoint, called with the function's own IAM credentials (SigV4, service "appsync")."""

from __future__ import annotations

import json
import urllib.error
import urllib.request


class GraphqlCallFailed(Exception):
    """No answer, an HTTP error, or GraphQL errors in the answer."""


def signed_request(url: str, body: bytes, region: str) -> urllib.request.Request:
    """A POST of `body` to `url`, SigV4-signed for AppSync with this process's AWS credentials."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.session import get_session

    credentials = get_session().get_credentials()
    if credentials is None:
        raise GraphqlCallFailed("no AWS credentials")
    request = AWSRequest(method="POST", url=url, data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(credentials.get_frozen_credentials(), "appsync", region).add_auth(request)
    return urllib.request.Request(url, data=body, headers=dict(request.headers.items()), method="POST")


def call_graphql(url: str, region: str, query: str, variables: dict, timeout: float) -> dict:
    body = json.dumps({"query": query, "variables": variables}).encode()
    try:
        with urllib.request.urlopen(signed_request(url, body, region), timeout=timeout) as answer:
            result = json.loads(answer.read())
    except urllib.error.HTTPError as error:
        raise GraphqlCallFailed(f"HTTP {error.code}") from None
    if result.get("errors"):
        types = sorted({str(e.get("errorType")) for e in result["errors"] if isinstance(e, dict)})
        raise GraphqlCallFailed(f"GraphQL errors: {', '.join(types)}")
    return result
