"""S3 locations as Athena and Glue spell them: split, compare, read from a Glue table.

Pure functions shared by the Athena adapter and the recovery of its Glue swaps
(:mod:`pyflow.adapters.gluerecovery`); no AWS call.
"""

from __future__ import annotations

from typing import Any


def split_s3(location: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix/`` -> ``("bucket", "some/prefix/")`` (prefix ends with ``/``)."""
    if not location.startswith(("s3://", "s3a://", "s3n://")):
        raise ValueError(f"not an S3 location: {location!r}")
    bucket, _, prefix = location.split("://", 1)[1].partition("/")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return bucket, prefix


def overlaps(a: str | None, b: str | None) -> bool:
    """Whether one S3 location is inside (or equal to) the other."""
    if not a or not b:
        return False
    (bucket_a, prefix_a), (bucket_b, prefix_b) = split_s3(a), split_s3(b)
    return bucket_a == bucket_b and (prefix_a.startswith(prefix_b) or prefix_b.startswith(prefix_a))


def glue_location(table: dict[str, Any] | None) -> str | None:
    """The S3 location of a Glue ``Table`` (None for views and missing tables)."""
    if table is None:
        return None
    return table.get("StorageDescriptor", {}).get("Location") or None
