import secrets

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from assistants.models import AssistantProfile
from clients.models import Membership, Organization
from vapportal.audit import audit_record
from vapportal.emails import email_queue

from .models import Invitation, User

INVITATION_SALT = "accounts.invitation"


class InvitationError(Exception):
    """The link cannot be used; the message says why, for the person who followed it."""


def invitation_link(invitation: Invitation) -> str:
    signed = signing.TimestampSigner(salt=INVITATION_SALT).sign(invitation.token)
    return settings.SITE_URL + reverse("accounts:invitation_accept", args=[signed])


def _queue_invitation_email(invitation: Invitation) -> None:
    email_queue(
        template="invitation",
        to=invitation.email,
        # The invitee has no zone of their own yet: the one their account will start in.
        zone=invitation.suggested_timezone,
        context={
            "invitation": invitation,
            "link": invitation_link(invitation),
            "expires_at": invitation.expires_at,
        },
    )


@transaction.atomic
def invitation_create(
    *,
    actor: User,
    email: str,
    role: str,
    organization: Organization | None = None,
    full_name: str = "",
) -> Invitation:
    """Admins invite a person by email; owners and managers join an organization."""
    assert actor.is_staff
    now = timezone.now()
    invitation = Invitation.objects.create(
        email=email.lower(),
        full_name=full_name,
        role=role,
        organization=organization if role != Invitation.Role.ASSISTANT else None,
        token=secrets.token_urlsafe(32),
        invited_by=actor,
        created_at=now,
        sent_at=now,
        expires_at=now + settings.INVITATION_MAX_AGE,
    )
    audit_record(
        actor=actor,
        action="invitation.created",
        summary=f"Invited {invitation.email} as {invitation.get_role_display().lower()}",
        organization=invitation.organization,
    )
    _queue_invitation_email(invitation)
    return invitation


@transaction.atomic
def invitation_resend(*, actor: User, invitation: Invitation) -> Invitation:
    """A fresh link, valid 7 days from now; the previous link stops working."""
    if invitation.accepted_at or invitation.revoked_at:
        raise InvitationError("Only an invitation that is still open can be sent again.")
    now = timezone.now()
    invitation.token = secrets.token_urlsafe(32)
    invitation.sent_at = now
    invitation.expires_at = now + settings.INVITATION_MAX_AGE
    invitation.save(update_fields=["token", "sent_at", "expires_at"])
    audit_record(
        actor=actor,
        action="invitation.resent",
        summary=f"Sent the invitation to {invitation.email} again",
        organization=invitation.organization,
    )
    _queue_invitation_email(invitation)
    return invitation


@transaction.atomic
def invitation_revoke(*, actor: User, invitation: Invitation) -> Invitation:
    if invitation.accepted_at:
        raise InvitationError("This invitation was already accepted.")
    if not invitation.revoked_at:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action="invitation.revoked",
            summary=f"Revoked the invitation to {invitation.email}",
            organization=invitation.organization,
        )
    return invitation


def invitation_from_link(signed: str, *, for_update: bool = False) -> Invitation:
    """The pending invitation a link points to, or InvitationError saying why it is unusable."""
    signer = signing.TimestampSigner(salt=INVITATION_SALT)
    try:
        token = signer.unsign(signed, max_age=settings.INVITATION_MAX_AGE)
    except signing.SignatureExpired as error:
        raise InvitationError("This invitation has expired. Ask us to send a new one.") from error
    except signing.BadSignature as error:
        raise InvitationError("This invitation link is not valid.") from error
    invitations = Invitation.objects.select_related("organization", "invited_by")
    if for_update:
        invitations = invitations.select_for_update(of=("self",))
    invitation = invitations.filter(token=token).first()
    if invitation is None:
        raise InvitationError("This invitation link is no longer valid; a newer one was sent.")
    if invitation.accepted_at:
        raise InvitationError("This invitation was already used. Log in instead.")
    if invitation.revoked_at:
        raise InvitationError("This invitation was withdrawn.")
    if invitation.expires_at <= timezone.now():
        raise InvitationError("This invitation has expired. Ask us to send a new one.")
    return invitation


@transaction.atomic
def invitation_accept(*, signed: str, full_name: str, password: str, timezone_name: str) -> User:
    """Creates the account the invitation promised, exactly once."""
    invitation = invitation_from_link(signed, for_update=True)
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise InvitationError("An account with this email already exists. Log in instead.")
    user = User.objects.create_user(
        invitation.email, password, full_name=full_name, timezone=timezone_name
    )
    if invitation.role == Invitation.Role.ASSISTANT:
        AssistantProfile.objects.create(user=user)
    else:
        Membership.objects.create(
            user=user, organization=invitation.organization, role=invitation.role
        )
    invitation.accepted_at = timezone.now()
    invitation.accepted_user = user
    invitation.save(update_fields=["accepted_at", "accepted_user"])
    audit_record(
        actor=user,
        action="invitation.accepted",
        summary=f"{user.email} joined as {invitation.get_role_display().lower()}",
        organization=invitation.organization,
    )
    return user


@transaction.atomic
def user_set_active(*, actor: User, user: User, active: bool) -> User:
    """A deactivated account cannot log in, and its open sessions end at their next request
    (Django's backend refuses inactive users when it loads the session's user)."""
    if user == actor:
        raise ValueError("You cannot deactivate your own account.")
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        action="user.reactivated" if active else "user.deactivated",
        summary=f"{'Reactivated' if active else 'Deactivated'} {user.email}",
    )
    return user
