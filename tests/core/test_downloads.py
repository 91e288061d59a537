"""The one download response, used by the web download view and the API attachment endpoint."""

from io import BytesIO
from urllib.parse import quote, unquote

import pytest
from django.http import Http404

from helpdesk_tickets.downloads import attachment_response, content_disposition


def parts(header):
    assert header.startswith('attachment; filename="')
    fallback, _, encoded = header[len('attachment; filename="') :].partition("\"; filename*=UTF-8''")
    assert header.isascii() and "\r" not in header and "\n" not in header
    assert '"' not in fallback and "\\" not in fallback and " " not in encoded
    return fallback, unquote(encoded)


@pytest.mark.parametrize(
    "name, fallback, exact",
    [
        ("report.pdf", "report.pdf", "report.pdf"),
        ("رسید پرداخت.png", "file.png", "رسید پرداخت.png"),
        ("گزارش", "file", "گزارش"),
        ("فاکتور invoice 2.pdf", "invoice 2.pdf", "فاکتور invoice 2.pdf"),
        ("résumé.docx", "resume.docx", "résumé.docx"),
        ('say "hi".txt', "say hi.txt", "say hi.txt"),
        ("evil\r\nSet-Cookie: a=b.txt", "evilSet-Cookie a=b.txt", "evilSet-Cookie a=b.txt"),
        ("../../etc/passwd", "passwd", "passwd"),
        ("C:\\Users\\me\\notes.txt", "notes.txt", "notes.txt"),
        ("a;b,c.txt", "a;b,c.txt", "a;b,c.txt"),
        ("", "file", "file"),
    ],
)
def test_content_disposition(name, fallback, exact):
    assert parts(content_disposition(name)) == (fallback, exact)


def test_the_persian_name_is_percent_encoded_utf8():
    header = content_disposition("رسید پرداخت.png")
    assert header.endswith("filename*=UTF-8''" + quote("رسید پرداخت.png", safe=""))


class StoredFile:
    def __init__(self, content=None):
        self.content = content

    def open(self, mode):
        if self.content is None:
            raise FileNotFoundError
        return BytesIO(self.content)


class FakeAttachment:
    def __init__(self, name, content=b"%PDF-1.4", content_type="application/pdf"):
        self.original_name = name
        self.file = StoredFile(content)
        self.content_type = content_type
        self.size = len(content or b"")


def test_attachment_response_headers():
    response = attachment_response(FakeAttachment("گزارش ماه.pdf"))
    assert b"".join(response.streaming_content) == b"%PDF-1.4"
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == content_disposition("گزارش ماه.pdf")
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Length"] == "8"


def test_unknown_type_is_a_plain_byte_stream():
    assert attachment_response(FakeAttachment("x.bin", content_type=""))["Content-Type"] == "application/octet-stream"


def test_a_lost_file_is_a_404():
    with pytest.raises(Http404):
        attachment_response(FakeAttachment("gone.pdf", content=None))
