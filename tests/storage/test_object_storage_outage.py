"""Object storage hung (a moto server process stopped with SIGSTOP: the kernel accepts
connections, nothing answers) fails a file operation with an error after the configured
timeouts, instead of holding the request or the task; production refuses to start on
object storage without its credentials."""

import signal
import threading

import botocore.exceptions
from django.core.files.base import ContentFile
from django.core.files.storage import storages

from core.storage import StorageUnavailable
from tests.infra.helpers import DUMMY_PRODUCTION_ENV, manage

from .conftest import s3_env


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
    failure = outcome["result"]
    assert isinstance(failure, StorageUnavailable), failure
    timeouts = (botocore.exceptions.ReadTimeoutError, botocore.exceptions.ConnectTimeoutError)
    assert isinstance(failure.__cause__, timeouts), failure.__cause__

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
