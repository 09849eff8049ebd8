"""The local stand-in for AppSync's IAM authorization: a SigV4 signature check.

The status writers (messenger.messages.publish) sign their publishMessageUpdate with the process's
AWS credentials. The local mode gives the handlers a secret access key drawn at random at start-up
(moto accepts any), so only they can produce a valid signature; this module recomputes the signature
with botocore's own SigV4 code and compares. A request older or newer than five minutes is refused, as
AWS does. Nothing else of IAM is emulated: a valid signature may call the IAM fields, nothing more.
"""

from __future__ import annotations

import hmac
import re
from datetime import datetime, timezone

from local.http import Request

SERVICE = "appsync"
MAX_SKEW_SECONDS = 300
_AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    + SERVICE
    + r"/aws4_request, ?SignedHeaders=(?P<headers>[a-z0-9;-]+), ?Signature=(?P<signature>[0-9a-f]{64})$"
)


def is_sigv4(request: Request) -> bool:
    return request.headers.get("authorization", "").startswith("AWS4-HMAC-SHA256 ")


def signed_by(request: Request, access_key: str, secret_key: str) -> bool:
    """True when `request` carries a current SigV4 signature for AppSync made with these credentials."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    match = _AUTHORIZATION.match(request.headers.get("authorization", ""))
    stamp = request.headers.get("x-amz-date", "")
    if match is None or request.body is None or not hmac.compare_digest(match["key"], access_key):
        return False
    try:
        signed_at = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return False
    if abs((datetime.now(timezone.utc) - signed_at).total_seconds()) > MAX_SKEW_SECONDS or stamp[:8] != match["date"]:
        return False
    names = match["headers"].split(";")
    if "host" not in names or any(name not in request.headers for name in names):
        return False
    headers = {name: request.headers[name] for name in names}
    url = f"http://{headers['host']}{request.path}" + (f"?{request.query}" if request.query else "")
    unsigned = AWSRequest(method=request.method, url=url, data=request.body, headers=headers)
    unsigned.context["timestamp"] = stamp
    signer = SigV4Auth(Credentials(access_key, secret_key), SERVICE, match["region"])
    expected = signer.signature(signer.string_to_sign(unsigned, signer.canonical_request(unsigned)), unsigned)
    return hmac.compare_digest(expected, match["signature"])
