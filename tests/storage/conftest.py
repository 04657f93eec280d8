"""A real S3-compatible server on loopback (moto's server mode: HTTP, its own thread),
and the platform's encrypted S3 storage pointed at a fresh bucket of it."""

import signal
import subprocess
import uuid

import boto3
import botocore.exceptions
import pytest
from moto.server import ThreadedMotoServer

from tests.reliability.procs import BIN, free_port
from tests.utils import wait_for

ACCESS_KEY = "wsr-test-access"
SECRET_KEY = "wsr-test-secret"  # noqa: S105


@pytest.fixture(scope="session")
def s3_endpoint():
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_client(s3_endpoint):
    return boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name="us-east-1",
    )


def s3_env(endpoint, bucket):
    """The environment an operator sets for object storage (config/settings/base.py)."""
    return {
        "FILE_STORAGE": "s3",
        "S3_ENDPOINT_URL": endpoint,
        "S3_BUCKET": bucket,
        "S3_ACCESS_KEY_ID": ACCESS_KEY,
        "S3_SECRET_ACCESS_KEY": SECRET_KEY,
    }


@pytest.fixture
def s3_bucket(s3_client):
    bucket = f"wsr-{uuid.uuid4().hex[:12]}"
    s3_client.create_bucket(Bucket=bucket)
    return bucket


@pytest.fixture
def s3_storage(settings, s3_endpoint, s3_bucket, monkeypatch):
    """STORAGES["default"] as production builds it from the environment, on the server."""
    from config.settings import base

    for key, value in s3_env(s3_endpoint, s3_bucket).items():
        monkeypatch.setenv(key, value)
    settings.STORAGES = {**settings.STORAGES, "default": base.file_storage("s3")}
    from django.core.files.storage import default_storage

    return default_storage


def raw_object(s3_client, bucket, name):
    return s3_client.get_object(Bucket=bucket, Key=name)["Body"].read()


def _answers(client):
    try:
        client.list_buckets()
        return True
    except botocore.exceptions.BotoCoreError:
        return False


@pytest.fixture
def moto_process():
    """moto's server as a process of its own, to stop (SIGSTOP: hung) or kill (down)."""
    port = free_port()
    proc = subprocess.Popen(
        [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name="us-east-1",
    )
    wait_for(lambda: _answers(client), "moto_server answering")
    yield proc, endpoint, client
    proc.send_signal(signal.SIGCONT)
    proc.terminate()
    proc.wait(timeout=30)
