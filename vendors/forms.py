from django import forms
from django.utils import timezone

from assistants.models import Authority
from tasks.uploads import ALLOWED_SUFFIXES

from .models import Contact, Message, Vendor, VendorSettings

AUTHORITY_CHOICES = [("", "The engagement's default"), *Authority.choices]


def _one_line(value: str, what: str) -> str:
    if "\r" in value or "\n" in value:
        raise forms.ValidationError(f"{what} is one line: take out the line break.")
    return value


class VendorForm(forms.ModelForm):
    website = forms.URLField(required=False, assume_scheme="https")

    class Meta:
        model = Vendor
        fields = ["name", "category", "status", "website", "works_with", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def clean_name(self):
        return _one_line(self.cleaned_data["name"], "A name")


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "role", "email", "phone"]

    def clean_name(self):
        return _one_line(self.cleaned_data["name"], "A name")


class DocumentForm(forms.Form):
    file = forms.FileField(help_text=f"{', '.join(ALLOWED_SUFFIXES)}; at most 10 MB.")


class ImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="Columns: name, category, website, status, contact_name, contact_email, "
        "contact_phone, contact_role, separated by commas, semicolons or tabs (a CSV as Excel "
        "or Google Sheets saves it). At most 1 MB.",
    )


class WriteForm(forms.Form):
    contact = forms.ModelChoiceField(queryset=Contact.objects.none(), required=False)
    # 254 characters: the longest address mail servers take (RFC 5321), and the outbox's.
    to_address = forms.EmailField(
        label="To", required=False, max_length=254, help_text="Or a contact above."
    )
    subject = forms.CharField(max_length=300)
    body = forms.CharField(label="Message", widget=forms.Textarea(attrs={"rows": 8}))
    cc_owner = forms.BooleanField(label="Copy the owner", required=False)

    def __init__(self, *args, vendor: Vendor, contacts=None, any_address: bool = True, **kwargs):
        """`contacts`: the ones this writer may write to (by default all with an address);
        without `any_address` only those, no typed address."""
        super().__init__(*args, **kwargs)
        queryset = vendor.contacts.exclude(email="")
        if contacts is not None:
            queryset = queryset.filter(pk__in=[contact.pk for contact in contacts])
        self.fields["contact"].queryset = queryset
        if not any_address:
            del self.fields["to_address"]
            self.fields["contact"].required = True

    def clean_subject(self):
        return _one_line(self.cleaned_data["subject"], "A subject")

    def clean(self):
        data = super().clean()
        contact = data.get("contact")
        if contact is None and not data.get("to_address") and "to_address" in self.fields:
            self.add_error("to_address", "Choose a contact or write an address.")
        if contact is not None and not data.get("to_address"):
            data["to_address"] = contact.email
        return data


class DraftForm(forms.Form):
    subject = forms.CharField(max_length=300)
    body = forms.CharField(label="Message", widget=forms.Textarea(attrs={"rows": 8}))

    def clean_subject(self):
        return _one_line(self.cleaned_data["subject"], "A subject")


class LogForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[(Message.Kind.CALL, "Call"), (Message.Kind.MEETING, "Meeting")]
    )
    subject = forms.CharField(max_length=300, label="About")
    body = forms.CharField(label="Notes", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    happened_at = forms.DateTimeField(
        label="When",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        initial=lambda: timezone.localtime().replace(second=0, microsecond=0),
    )


class SettingsForm(forms.ModelForm):
    class Meta:
        model = VendorSettings
        fields = ["sender_name", "reply_to", "copy_owner"]

    def clean_sender_name(self):
        return _one_line(self.cleaned_data["sender_name"], "A name")
