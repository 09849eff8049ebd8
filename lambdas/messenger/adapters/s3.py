"""The uploads bucket: pre-signed PUT URLs for clients, and a CSV object read as a stream of text.

The object is never held whole: botocore's streaming body is read in chunks under a text decoder, so
the csv module sees one line at a time and memory stays flat however many rows the file has.
"""

from __future__ import annotations

import io

CSV_CONTENT_TYPE = "text/csv"


class UploadBucket:
    def __init__(self, client, bucket: str) -> None:
        self._s3 = client
        self._bucket = bucket

    def upload_url(self, key: str, expires_seconds: int) -> str:
        return self._s3.generate_presigned_url(
            "put_object", Params={"Bucket": self._bucket, "Key": key}, ExpiresIn=expires_seconds, HttpMethod="PUT",
        )

    def lines(self, key: str) -> io.TextIOBase:
        """The object as text lines (UTF-8, a byte-order mark skipped), streamed from S3."""
        body = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"]
        return io.TextIOWrapper(io.BufferedReader(_Raw(body), buffer_size=64 * 1024), encoding="utf-8-sig",
                                newline="")


class _Raw(io.RawIOBase):
    """botocore's StreamingBody as a raw stream, so io's buffered reader and text decoder can sit on it."""

    def __init__(self, body) -> None:
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._body.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._body.close()
        super().close()
