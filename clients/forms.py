from django import forms

from accounts.models import User
from vapportal.timezones import TimeZoneField

from .models import Organization, TeamMember


class TeamMemberForm(forms.ModelForm):
    class Meta:
        model = TeamMember
        fields = ["name", "email", "location"]

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.organization = organization

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].lower()
        clash = TeamMember.objects.filter(
            organization=self.instance.organization, email__iexact=email
        ).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError("Someone on this roster already has this email.")
        return email


class RosterImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="Columns: name, email, location, separated by commas, semicolons or tabs "
        "(a CSV as Excel or Google Sheets saves it). At most 1 MB.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 1024 * 1024:
            raise forms.ValidationError("The file is larger than 1 MB.")
        return upload


class OrganizationSettingsForm(forms.ModelForm):
    timezone = TimeZoneField(label="Time zone")

    class Meta:
        model = Organization
        fields = ["name", "timezone"]

    def __init__(self, *args, editor: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timezone"].preferred = [self.instance.timezone, editor.timezone]
