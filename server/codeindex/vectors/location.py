"""Where the vectors live: a local LanceDB folder, or a store on S3 shared by a team.

`vectors.uri` empty means `<data dir>/vectors`. `s3://bucket/prefix` puts the tables on
S3 (or any S3-compatible store: MinIO, Ceph, R2...); `s3+ddb://bucket/prefix?ddbTableName=T`
does the same for a store without conditional PUT, committing through Lance's DynamoDB
table `T`. Endpoint, region and plain HTTP come from settings; credentials only from the
standard AWS sources (`AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`,
`AWS_PROFILE` and `~/.aws`), which LanceDB's object store reads itself: codeindex never
stores, passes on or prints them. A bad value is not refused at start: the index works
without vectors (full-text and symbol search) and every vector operation says what to set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from codeindex.config import Settings
from codeindex.errors import VectorStoreUnavailable

SHARED_SCHEMES = ("s3", "s3+ddb")
# Fail in seconds, not LanceDB's default of retrying for three minutes: a store that is
# down leaves embeddings pending with the reason, and the next run tries again.
_CLIENT_OPTIONS = {
    "connect_timeout": "5s",
    "timeout": "60s",
    "client_max_retries": "3",
    "client_retry_timeout": "30",
}
_SETTINGS_HINT = (
    "set vectors.uri (CODEINDEX_VECTORS_URI) to s3://bucket/prefix, the endpoint of an "
    "S3-compatible store in vectors.s3_endpoint (CODEINDEX_S3_ENDPOINT), its region in "
    "vectors.s3_region (CODEINDEX_S3_REGION), vectors.allow_http (CODEINDEX_S3_ALLOW_HTTP) "
    "for an http:// endpoint, and credentials in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY "
    "or AWS_PROFILE"
)


@dataclass(frozen=True, slots=True)
class StoreLocation:
    """A vector store's address and how to open it (no credentials in it)."""

    uri: str
    shared: bool
    local_path: Path | None = None
    storage_options: dict[str, str] = field(default_factory=dict)
    problem: str | None = None  # a settings error, raised on first use

    @classmethod
    def local(cls, path: Path) -> StoreLocation:
        """A LanceDB folder on this machine."""
        return cls(uri=str(path), shared=False, local_path=path)

    def unavailable(self, cause: object) -> VectorStoreUnavailable:
        """The error for a store that cannot be used, saying what to check and set."""
        return VectorStoreUnavailable(
            f"the shared vector store {self.uri} cannot be used: {explain(cause)}. To fix: "
            f"{_SETTINGS_HINT}. Embeddings stay pending meanwhile; full-text and symbol "
            "search work",
            store=self.uri,
        )


def location_of(settings: Settings) -> StoreLocation:
    """The store the settings ask for."""
    uri = settings.vectors_uri.strip()
    if not uri:
        return StoreLocation.local(settings.vectors_path)
    scheme, sep, rest = uri.partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in SHARED_SCHEMES:
        return StoreLocation(
            uri=uri,
            shared=True,
            problem=f"vectors.uri = {uri!r} is not an s3:// URI (leave it empty for vectors "
            "in the data dir)",
        )
    bucket = rest.split("/", 1)[0].split("?", 1)[0]
    if not bucket:
        return StoreLocation(uri=uri, shared=True, problem=f"vectors.uri = {uri!r} names no bucket")
    options = dict(_CLIENT_OPTIONS)
    if settings.vectors_s3_endpoint:
        options["aws_endpoint"] = settings.vectors_s3_endpoint
    if settings.vectors_s3_region:
        options["aws_region"] = settings.vectors_s3_region
    if settings.vectors_allow_http:
        options["allow_http"] = "true"
    return StoreLocation(uri=uri.rstrip("/"), shared=True, storage_options=options)


def explain(cause: object) -> str:
    """A short reason from what LanceDB's object store said (its messages run to pages)."""
    text = str(cause)
    lowered = text.lower()
    if "nosuchbucket" in lowered:
        found = re.search(r"<BucketName>([^<]+)</BucketName>", text)
        name = f" {found.group(1)}" if found else ""
        return f"the bucket{name} does not exist (create it, or fix vectors.uri)"
    # "403" as a status, not inside a port number or an address (`127.0.0.1:40312`)
    if "credentials" in lowered or "accessdenied" in lowered or re.search(r"\b403\b", text):
        return (
            "access was refused or no AWS credentials were found (set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or AWS_PROFILE)"
        )
    if "connect" in lowered or "dns" in lowered or "timed out" in lowered:
        found = re.search(r"uri: Some\((https?://[^/?)]+)", text)
        where = f" {found.group(1)}" if found else ""
        return f"the endpoint{where} cannot be reached (check vectors.s3_endpoint)"
    if "http" in lowered and "allow_http" in lowered:
        return "the endpoint is http:// but vectors.allow_http is off"
    first = text.splitlines()[0] if text else type(cause).__name__
    return first[:300]
