"""Fixtures of the offline engine tests (see :mod:`tests.adapters.recording`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

REMOTE_PROFILES = """
ci:
  target: athena
  outputs:
    trino:
      type: trino
      host: trino.invalid
      database: hive
      schema: analytics
      auth: {method: basic, password: "{{ env_var('PYFLOW_CANARY_PASSWORD', 'not-a-secret') }}"}
    athena:
      type: athena
      s3_staging_dir: s3://pyflow-tests/results/
      s3_data_dir: s3://pyflow-tests/tables/
      region_name: eu-west-1
      schema: analytics
"""


@pytest.fixture
def remote_profiles(tmp_path: Path) -> Path:
    """A --profiles-dir holding one profile ``ci`` with ``trino`` and ``athena`` outputs."""
    folder = tmp_path / "profiles"
    folder.mkdir()
    (folder / "profiles.yml").write_text(REMOTE_PROFILES.lstrip(), encoding="utf-8")
    return folder


@pytest.fixture(autouse=True)
def no_real_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every adapter test runs under moto with fake credentials: no test talks to AWS."""
    from moto import mock_aws

    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/pyflow-tests")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/pyflow-tests")
    with mock_aws():
        yield


@pytest.fixture
def lake() -> None:
    """moto's Glue database ``shop`` and S3 bucket ``bucket`` in eu-west-1 (moto is always on here)."""
    import boto3

    boto3.client("glue", region_name="eu-west-1").create_database(DatabaseInput={"Name": "shop"})
    boto3.client("s3", region_name="eu-west-1").create_bucket(
        Bucket="bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
