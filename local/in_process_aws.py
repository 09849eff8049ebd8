"""The local mode's own boto3 clients answered by moto in this process, without a socket.

moto runs inside the local mode's process and also serves HTTP (its printed endpoint, for the AWS CLI
and the tests). The handlers' clients used to reach it over that HTTP server too: per call a new TCP
connection, an HTTP request written and parsed twice and a hop through werkzeug's thread, several times
per send. A client given to `answer_in_process` still builds, signs and serialises every request as it
would for AWS (its event hooks, the call counter and the receipt watcher included), but a request for
moto's endpoint is handed to moto's dispatcher directly, the way moto's own `mock_aws` does, under the
AWS host name moto routes on. What moto answers is the same as over HTTP: the same backends, the same code.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from moto.core.botocore_stubber import BotocoreStubber

_moto = BotocoreStubber()
_moto.enabled = True


def answer_in_process(client):
    """Registers the short cut on `client` (for requests to AWS_ENDPOINT_URL) and returns it."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "").rstrip("/")
    if not endpoint:
        return client
    host = f"{client.meta.service_model.endpoint_prefix}.{client.meta.region_name}.amazonaws.com"

    def send(request, **kwargs):
        if not request.url.startswith(endpoint + "/") and request.url != endpoint:
            return None
        url = urlsplit(request.url)
        request.url = f"https://{host}{url.path or '/'}" + (f"?{url.query}" if url.query else "")
        return _moto(kwargs.get("event_name", "before-send"), request)

    client.meta.events.register_first("before-send", send)
    return client
