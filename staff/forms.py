from django import forms

from accounts.models import User
from assistants.models import Engagement


def _assistants():
    return User.objects.filter(assistant_profile__isnull=False, is_active=True).order_by(
        "full_name"
    )


class EngagementForm(forms.ModelForm):
    class Meta:
        model = Engagement
        fields = [
            "assistant",
            "organization",
            "role",
            "can_book_travel",
            "travel_budget_limit",
            "vendor_email_authority",
            "checkin_authority",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assistant"].queryset = _assistants()
        self.fields["organization"].queryset = self.fields["organization"].queryset.filter(
            active=True
        )


class EngagementAuthorityForm(forms.ModelForm):
    class Meta:
        model = Engagement
        fields = [
            "role",
            "can_book_travel",
            "travel_budget_limit",
            "vendor_email_authority",
            "checkin_authority",
        ]


class HandOverForm(forms.Form):
    from_assistant = forms.ModelChoiceField(
        queryset=User.objects.filter(assistant_profile__isnull=False), label="From"
    )
    to_assistant = forms.ModelChoiceField(queryset=_assistants(), label="To")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("from_assistant") and cleaned.get("from_assistant") == cleaned.get(
            "to_assistant"
        ):
            self.add_error("to_assistant", "Choose a different assistant to take over.")
        return cleaned
