from django.db import transaction
from django.utils import timezone

from accounts.models import User
from clients.models import Organization
from vapportal.audit import audit_record

from .models import Engagement

AUTHORITY_FIELDS = (
    "role",
    "can_book_travel",
    "travel_budget_limit",
    "vendor_email_authority",
    "checkin_authority",
)


class EngagementError(Exception):
    """The engagement change breaks a rule; the message says which."""


def _describe_authority(engagement: Engagement) -> str:
    travel = (
        f"travel up to {engagement.travel_budget_limit} a trip"
        if engagement.can_book_travel
        else "no travel"
    )
    return (
        f"{engagement.get_role_display().lower()}; {travel}; "
        f"vendor email: {engagement.get_vendor_email_authority_display().lower()}; "
        f"check-in: {engagement.get_checkin_authority_display().lower()}"
    )


@transaction.atomic
def engagement_create(
    *, actor: User, assistant: User, organization: Organization, **authority
) -> Engagement:
    """Only admins engage assistants; one active engagement per assistant and client, and
    one active primary assistant per client."""
    if not hasattr(assistant, "assistant_profile"):
        raise EngagementError(f"{assistant} is not an assistant.")
    if not assistant.is_active:
        raise EngagementError(f"{assistant}'s account is deactivated.")
    engagement = Engagement(assistant=assistant, organization=organization, **authority)
    _check_engagement_slots(engagement)
    engagement.save()
    audit_record(
        actor=actor,
        action="engagement.created",
        summary=f"Engaged {assistant} with {organization}: {_describe_authority(engagement)}",
        organization=organization,
    )
    return engagement


@transaction.atomic
def engagement_update(*, actor: User, engagement: Engagement, **authority) -> Engagement:
    if not engagement.is_active:
        raise EngagementError("This engagement has ended; engage the assistant again instead.")
    for name, value in authority.items():
        if name not in AUTHORITY_FIELDS:
            raise TypeError(name)
        setattr(engagement, name, value)
    _check_engagement_slots(engagement)
    engagement.save()
    audit_record(
        actor=actor,
        action="engagement.updated",
        summary=(
            f"Changed {engagement.assistant}'s authority for {engagement.organization}: "
            f"{_describe_authority(engagement)}"
        ),
        organization=engagement.organization,
    )
    return engagement


@transaction.atomic
def engagement_end(*, actor: User, engagement: Engagement) -> Engagement:
    """The assistant loses access to the client from this moment."""
    if engagement.is_active:
        engagement.ended_at = timezone.now()
        engagement.save(update_fields=["ended_at"])
        audit_record(
            actor=actor,
            action="engagement.ended",
            summary=f"Ended {engagement.assistant}'s engagement with {engagement.organization}",
            organization=engagement.organization,
        )
    return engagement


@transaction.atomic
def engagements_hand_over(*, actor: User, from_assistant: User, to_assistant: User) -> int:
    """Moves every active engagement of one assistant, with its authority, and their open
    tasks to another.

    Where the new assistant already works for the client, that engagement stays and takes over
    the primary role if the old one had it. Returns how many clients were handed over."""
    from tasks.services import tasks_hand_over
    from vendors.services import hand_over as vendors_hand_over

    if from_assistant == to_assistant:
        raise EngagementError("Choose two different assistants.")
    if not to_assistant.is_active or not hasattr(to_assistant, "assistant_profile"):
        raise EngagementError(f"{to_assistant} cannot take over: not an active assistant.")
    outgoing = list(
        Engagement.objects.active()
        .select_for_update()
        .filter(assistant=from_assistant)
        .select_related("organization")
    )
    now = timezone.now()
    for old in outgoing:
        old.ended_at = now
        old.save(update_fields=["ended_at"])
        existing = (
            Engagement.objects.active()
            .select_for_update()
            .filter(assistant=to_assistant, organization=old.organization)
            .first()
        )
        if existing is None:
            Engagement.objects.create(
                assistant=to_assistant,
                organization=old.organization,
                **{name: getattr(old, name) for name in AUTHORITY_FIELDS},
            )
        elif old.role == Engagement.Role.PRIMARY:
            existing.role = Engagement.Role.PRIMARY
            existing.save(update_fields=["role"])
        audit_record(
            actor=actor,
            action="engagement.handed_over",
            summary=f"Handed {old.organization} over from {from_assistant} to {to_assistant}",
            organization=old.organization,
        )
    organizations = [engagement.organization for engagement in outgoing]
    tasks_hand_over(
        actor=actor,
        from_assistant=from_assistant,
        to_assistant=to_assistant,
        organizations=organizations,
    )
    vendors_hand_over(
        from_assistant=from_assistant, to_assistant=to_assistant, organizations=organizations
    )
    return len(outgoing)


def _check_engagement_slots(engagement: Engagement) -> None:
    others = Engagement.objects.active().filter(organization=engagement.organization)
    if engagement.pk:
        others = others.exclude(pk=engagement.pk)
    if others.filter(assistant=engagement.assistant).exists():
        raise EngagementError(
            f"{engagement.assistant} already works for {engagement.organization}."
        )
    if engagement.role == Engagement.Role.PRIMARY and others.filter(role="primary").exists():
        raise EngagementError(
            f"{engagement.organization} already has a primary assistant; "
            "make this one a backup, or hand the work over."
        )
