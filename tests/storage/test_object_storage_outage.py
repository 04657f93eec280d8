"""Object storage hung (a moto server process stopped with SIGSTOP: the kernel accepts
connections, nothing answers) fails a file operation with an error after the configured
timeouts, instead of holding the request or the task; production refuses to start on
object storage without its credentials."""

import signal
import subprocess
import threading

import boto3
import botocore.exceptions
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages

from tests.infra.helpers import DUMMY_PRODUCTION_ENV, manage
from tests.reliability.procs import BIN, free_port
from tests.utils import wait_for

from .conftest import ACCESS_KEY, SECRET_KEY, s3_env


def _answers(client):
    try:
        client.list_buckets()
        return True
    except botocore.exceptions.BotoCoreError:
        return False


@pytest.fixture
def moto_process():
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


def test_a_hung_object_storage_fails_the_operation_instead_of_hanging(
    moto_process, settings, monkeypatch
):
    from config.settings import base

    proc, endpoint, client = moto_process
    client.create_bucket(Bucket="wsr-hung")
    for key, value in s3_env(endpoint, "wsr-hung").items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("S3_CONNECT_TIMEOUT", "1")
    monkeypatch.setenv("S3_READ_TIMEOUT", "1")
    storage = storages.create_storage(base.file_storage("s3"))
    name = storage.save("hung/before.txt", ContentFile(b"stored before the hang"))
    assert storage.open(name).read() == b"stored before the hang"

    proc.send_signal(signal.SIGSTOP)
    outcome = {}

    def attempt():
        try:
            storage.save("hung/during.txt", ContentFile(b"x"))
            outcome["result"] = "saved"
        except Exception as exc:  # noqa: BLE001 - the test names what came out
            outcome["result"] = exc

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    # Not a timing assertion: the bound only stops the test hanging if the timeouts
    # did not reach the client (botocore's defaults would wait 60 s per attempt).
    worker.join(timeout=40)
    assert not worker.is_alive(), "the save is still waiting on the hung endpoint"
    assert isinstance(
        outcome["result"],
        botocore.exceptions.ReadTimeoutError | botocore.exceptions.ConnectTimeoutError,
    ), outcome

    proc.send_signal(signal.SIGCONT)
    assert storage.open(name).read() == b"stored before the hang"  # back when it answers


def test_production_on_object_storage_requires_its_credentials():
    env = {**DUMMY_PRODUCTION_ENV, "FILE_STORAGE": "s3", "S3_ENDPOINT_URL": "http://minio:9000"}
    refused = manage("check", "--deploy", env=env, settings=env["DJANGO_SETTINGS_MODULE"])
    assert refused.returncode != 0
    assert "S3_ACCESS_KEY_ID" in refused.stderr
    env.update(S3_ACCESS_KEY_ID="key", S3_SECRET_ACCESS_KEY="secret")
    accepted = manage("check", "--deploy", env=env, settings=env["DJANGO_SETTINGS_MODULE"])
    assert accepted.returncode == 0, accepted.stderr
