from django import forms
from django.db.models import OuterRef, Subquery

from accounts.forms import InvitationForm
from accounts.models import User
from assistants.models import Engagement
from clients.models import Membership, Organization


class PersonChoiceField(forms.ModelChoiceField):
    """People by name and email, so two of the same name can be told apart."""

    def label_from_instance(self, user: User) -> str:
        label = f"{user.full_name} ({user.email})" if user.full_name else user.email
        return label if user.is_active else f"{label}, deactivated"


class OrganizationChoiceField(forms.ModelChoiceField):
    """Clients by name and their owner's email (or, without an owner yet, their short name),
    so two clients of the same name can be told apart."""

    def __init__(self, queryset, **kwargs):
        first_owner = Membership.objects.filter(
            organization=OuterRef("pk"), role=Membership.Role.OWNER
        ).order_by("created_at", "pk")
        queryset = queryset.annotate(
            owner_email=Subquery(first_owner.values("user__email")[:1])
        ).order_by("name", "pk")
        super().__init__(queryset, **kwargs)

    def label_from_instance(self, organization: Organization) -> str:
        return f"{organization.name} ({organization.owner_email or organization.slug})"


def _assistants(*, active_only: bool = True):
    assistants = User.objects.filter(assistant_profile__isnull=False)
    if active_only:
        assistants = assistants.filter(is_active=True)
    return assistants.order_by("full_name", "email")


class EngagementForm(forms.ModelForm):
    assistant = PersonChoiceField(queryset=User.objects.none())
    organization = OrganizationChoiceField(queryset=Organization.objects.filter(active=True))

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


class StaffInvitationForm(InvitationForm):
    """The invitation form, its organizations told apart by their owner's email."""

    organization = OrganizationChoiceField(
        queryset=Organization.objects.filter(active=True),
        required=False,
        help_text="Required for owners and managers.",
    )


class HandOverForm(forms.Form):
    # A deactivated assistant's work is exactly what needs handing over.
    from_assistant = PersonChoiceField(queryset=User.objects.none(), label="From")
    to_assistant = PersonChoiceField(queryset=User.objects.none(), label="To")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_assistant"].queryset = _assistants(active_only=False)
        self.fields["to_assistant"].queryset = _assistants()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("from_assistant") and cleaned.get("from_assistant") == cleaned.get(
            "to_assistant"
        ):
            self.add_error("to_assistant", "Choose a different assistant to take over.")
        return cleaned
