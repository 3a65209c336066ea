from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm

from clients.models import Organization
from vapportal.emails import email_queue
from vapportal.timezones import TimeZoneField

from .models import Invitation, User


def login_username(request, credentials: dict | None) -> str:
    """The account a login attempt is for, as failed-login throttling counts it."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    return username.strip().lower()


class LoginForm(AuthenticationForm):
    # No account's address is longer (and failed-login throttling records at most 255).
    username = forms.EmailField(
        label="Email", max_length=254, widget=forms.EmailInput(attrs={"autofocus": True})
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That email and password do not match an active account.",
    }

    def clean_username(self) -> str:
        return self.cleaned_data["username"].lower()


class OutboxPasswordResetForm(PasswordResetForm):
    """Password reset mail goes through the outbox like every other message."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        email_queue(
            template="password_reset", to=to_email, zone=context["user"].timezone, context=context
        )


class ProfileForm(forms.ModelForm):
    timezone = TimeZoneField(label="Time zone")

    class Meta:
        model = User
        fields = ["full_name", "timezone", "notify"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        clients_zones = Organization.objects.worked_in_by(self.instance).values_list(
            "timezone", flat=True
        )
        self.fields["timezone"].preferred = [self.instance.timezone, *clients_zones]


class InvitationForm(forms.Form):
    email = forms.EmailField(max_length=254)  # the longest address mail servers take
    full_name = forms.CharField(max_length=150, required=False, label="Name (optional)")
    role = forms.ChoiceField(choices=Invitation.Role.choices)
    organization = forms.ModelChoiceField(
        queryset=Organization.objects.filter(active=True),
        required=False,
        help_text="Required for owners and managers.",
    )

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this email already exists.")
        if Invitation.objects.pending().filter(email__iexact=email).exists():
            raise forms.ValidationError(
                "This person already has an open invitation; send it again from the list."
            )
        return email

    def clean(self):
        cleaned = super().clean()
        role, organization = cleaned.get("role"), cleaned.get("organization")
        if role in (Invitation.Role.OWNER, Invitation.Role.MANAGER) and not organization:
            self.add_error("organization", "Choose the organization this person will join.")
        if role == Invitation.Role.ASSISTANT and organization:
            self.add_error(
                "organization",
                "Assistants join no organization; engage them with clients after they accept.",
            )
        return cleaned


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(max_length=150, label="Your name")
    timezone = TimeZoneField(label="Your time zone")
    password1 = forms.CharField(label="Password", widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label="Password again", widget=forms.PasswordInput, strip=False)

    def __init__(self, *args, invitation: Invitation, **kwargs):
        zone = invitation.suggested_timezone
        kwargs.setdefault("initial", {"full_name": invitation.full_name, "timezone": zone})
        super().__init__(*args, **kwargs)
        self.email = invitation.email
        self.fields["timezone"].preferred = [zone]
        if invitation.role == Invitation.Role.ASSISTANT and not self.is_bound:
            # static/js/browser-timezone.js puts the browser's zone in its place.
            self.fields["timezone"].widget.attrs["data-browser-timezone"] = True

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", "The two passwords differ.")
        elif password1:
            candidate = User(email=self.email, full_name=cleaned.get("full_name", ""))
            try:
                password_validation.validate_password(password1, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned
