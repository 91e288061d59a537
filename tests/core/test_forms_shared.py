"""The form pieces the portal and the staff workspace share: the file field and the reply form base."""

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.datastructures import MultiValueDict

from helpdesk_tickets import staff_forms
from helpdesk_tickets.forms import BaseReplyForm, MultipleFileField, MultipleFileInput, ReplyForm


def upload(name="a.txt", content=b"hello"):
    return SimpleUploadedFile(name, content, content_type="text/plain")


class FilesForm(forms.Form):
    files = MultipleFileField()


class RequiredFilesForm(forms.Form):
    files = MultipleFileField(required=True)


def bound(form_class, *uploads):
    return form_class({}, MultiValueDict({"files": list(uploads)}) if uploads else MultiValueDict())


def test_the_portal_and_the_staff_use_one_file_field():
    assert not hasattr(staff_forms, "MultipleFileField")
    for form in (ReplyForm(), staff_forms.ReplyForm()):
        field = form.fields["attachments"]
        assert type(field) is MultipleFileField and isinstance(field.widget, MultipleFileInput)


def test_no_file_is_an_empty_list_and_optional_by_default():
    form = bound(FilesForm)
    assert form.is_valid() and form.cleaned_data["files"] == []


def test_required_when_asked():
    form = bound(RequiredFilesForm)
    assert not form.is_valid() and form.errors["files"] == ["This field is required."]
    assert bound(RequiredFilesForm, upload()).is_valid()


def test_several_files_come_back_as_a_list_in_order():
    form = bound(FilesForm, upload("a.txt"), upload("b.txt"))
    assert form.is_valid()
    assert [f.name for f in form.cleaned_data["files"]] == ["a.txt", "b.txt"]


def test_an_empty_upload_is_refused_with_djangos_message():
    form = bound(FilesForm, upload("a.txt"), upload("empty.txt", b""))
    assert not form.is_valid() and form.errors["files"] == ["The submitted file is empty."]


def test_the_widget_picks_several_files_and_carries_the_limits(settings):
    settings.HELPDESK_TICKETS = {**settings.HELPDESK_TICKETS, "MAX_ATTACHMENTS_PER_MESSAGE": 3}
    for form in (ReplyForm(), staff_forms.ReplyForm(), staff_forms.PhoneTicketForm(departments=None)):
        html = str(form["attachments"])
        assert 'type="file"' in html and " multiple" in html
        assert 'data-max-files="3"' in html and "accept=" in html
        assert form.fields["attachments"].help_text


@pytest.mark.parametrize("form_class", [ReplyForm, staff_forms.ReplyForm])
def test_both_reply_forms_extend_the_base(form_class):
    assert issubclass(form_class, BaseReplyForm)
    form = form_class({"body": "  Thanks  "}, MultiValueDict({"attachments": [upload()]}))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["body"] == "Thanks"
    assert [f.name for f in form.cleaned_data["attachments"]] == ["a.txt"]
    assert not form_class({"body": ""}).is_valid()
    assert not form_class({"body": "x" * 20001}).is_valid()


def test_the_staff_reply_adds_internal_status_and_seen():
    form = staff_forms.ReplyForm({"body": "note", "internal": "on", "then_status": "resolved"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["internal"] is True and form.cleaned_data["then_status"] == "resolved"
    assert form.cleaned_data["attachments"] == [] and form.cleaned_data["seen"] is None
    assert set(form.fields) - set(ReplyForm().fields) == {"internal", "then_status", "seen"}
    assert (form.fields["body"].label, staff_forms.ReplyForm().fields["body"].label) == ("Message", "Message")
    assert ReplyForm().fields["body"].label == "Your reply"
