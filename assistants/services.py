from dataclasses import dataclass, field

from django.db import transaction
from django.template.defaultfilters import pluralize
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


@dataclass
class ClientWork:
    """One client's part of an assistant's work: what a hand-over or the end of an
    engagement moves (or, on a confirm page, will move)."""

    organization: Organization
    tasks: list = field(default_factory=list)
    recurring_tasks: list = field(default_factory=list)
    trips: list = field(default_factory=list)
    conversations: list = field(default_factory=list)


@dataclass
class WorkMoved:
    """An assistant's work on some clients, client by client, and who it goes to: another
    assistant, or the pool (`to_assistant` None) when an engagement ends."""

    from_assistant: User
    to_assistant: User | None
    clients: list[ClientWork]

    def _all(self, kind: str) -> list:
        return [item for client in self.clients for item in getattr(client, kind)]

    @property
    def tasks(self) -> list:
        return self._all("tasks")

    @property
    def recurring_tasks(self) -> list:
        return self._all("recurring_tasks")

    @property
    def trips(self) -> list:
        return self._all("trips")

    @property
    def conversations(self) -> list:
        return self._all("conversations")

    def describe(self) -> str:
        """In words: “3 open tasks, 1 recurring task, no trips and 2 vendor conversations”."""
        parts = [
            _count(len(self.tasks), "open task"),
            _count(len(self.recurring_tasks), "recurring task"),
            _count(len(self.trips), "trip"),
            _count(len(self.conversations), "vendor conversation"),
        ]
        return f"{', '.join(parts[:-1])} and {parts[-1]}"


def _count(number: int, noun: str) -> str:
    return f"{number or 'no'} {noun}{pluralize(number)}"


def _work(
    organizations: list[Organization], *, tasks=(), recurring_tasks=(), trips=(), conversations=()
) -> list[ClientWork]:
    clients = {organization.pk: ClientWork(organization) for organization in organizations}
    for kind, items in (
        ("tasks", tasks),
        ("recurring_tasks", recurring_tasks),
        ("trips", trips),
        ("conversations", conversations),
    ):
        for item in items:
            getattr(clients[item.organization_id], kind).append(item)
    return list(clients.values())


def _work_in_hand(assistant: User, organizations: list[Organization]) -> list[ClientWork]:
    """What the assistant holds on those clients now, moving nothing."""
    # A foundation app imports the feature apps only where it asks them for their part.
    from tasks.recurring import rules_assigned_to
    from tasks.services import open_tasks_of
    from travel.services import trips_in_hand
    from vendors.services import conversations_handled_by

    return _work(
        organizations,
        tasks=open_tasks_of(assistant, organizations).in_queue_order(),
        recurring_tasks=rules_assigned_to(assistant, organizations).order_by("title", "pk"),
        trips=trips_in_hand(assistant, organizations).order_by("depart_on", "pk"),
        conversations=conversations_handled_by(assistant, organizations),
    )


def _move_work(
    *,
    actor: User,
    from_assistant: User,
    to_assistant: User | None,
    organizations: list[Organization],
    reason: str = "",
) -> list[ClientWork]:
    """Moves the assistant's work on those clients to another assistant, or to the pool, and
    drops what was still to be mailed to them about those clients."""
    from tasks.notifications import notifications_withdraw
    from tasks.recurring import recurring_tasks_hand_over
    from tasks.services import tasks_hand_over
    from travel.services import trips_hand_over
    from vendors.services import hand_over as vendors_hand_over

    moving = {
        "actor": actor,
        "from_assistant": from_assistant,
        "to_assistant": to_assistant,
        "organizations": organizations,
        "reason": reason,
    }
    # Trips first: which trips are hers depends on whose their booking tasks still are.
    trips = trips_hand_over(**moving)
    tasks = tasks_hand_over(**moving)
    recurring_tasks = recurring_tasks_hand_over(**moving)
    conversations = vendors_hand_over(
        from_assistant=from_assistant, to_assistant=to_assistant, organizations=organizations
    )
    for organization in organizations:
        notifications_withdraw(user=from_assistant, organization=organization)
    return _work(
        organizations,
        tasks=tasks,
        recurring_tasks=recurring_tasks,
        trips=trips,
        conversations=conversations,
    )


def engagement_end_preview(*, engagement: Engagement) -> WorkMoved:
    """What ending the engagement will send back to the pool, for its confirm page."""
    return WorkMoved(
        from_assistant=engagement.assistant,
        to_assistant=None,
        clients=_work_in_hand(engagement.assistant, [engagement.organization])
        if engagement.is_active
        else [],
    )


@transaction.atomic
def engagement_end(*, actor: User, engagement: Engagement) -> WorkMoved:
    """The assistant loses access to the client from this moment, and her work there goes
    back to the pool: open tasks (new again, for whoever takes them next), the tasks of
    recurring rules that named her, unbooked trips, vendor conversations. From then on
    nothing about the client is mailed to her: what waited for her digest is dropped, and
    notifications only reach people who still work on the client."""
    now = timezone.now()
    # Ending only what is still active claims it: a second click moves nothing twice.
    if not Engagement.objects.active().filter(pk=engagement.pk).update(ended_at=now):
        engagement.refresh_from_db()
        return WorkMoved(from_assistant=engagement.assistant, to_assistant=None, clients=[])
    engagement.ended_at = now
    assistant, organization = engagement.assistant, engagement.organization
    moved = WorkMoved(
        from_assistant=assistant,
        to_assistant=None,
        clients=_move_work(
            actor=actor,
            from_assistant=assistant,
            to_assistant=None,
            organizations=[organization],
            reason=f"{assistant}'s engagement with {organization} ended",
        ),
    )
    audit_record(
        actor=actor,
        action="engagement.ended",
        summary=f"Ended {assistant}'s engagement with {organization}; "
        f"back to the pool: {moved.describe()}",
        organization=organization,
    )
    return moved


def _check_hand_over(from_assistant: User, to_assistant: User) -> list[Engagement]:
    if from_assistant == to_assistant:
        raise EngagementError("Choose two different assistants.")
    if not to_assistant.is_active or not hasattr(to_assistant, "assistant_profile"):
        raise EngagementError(f"{to_assistant} cannot take over: not an active assistant.")
    outgoing = list(
        Engagement.objects.active().filter(assistant=from_assistant).select_related("organization")
    )
    if not outgoing:
        raise EngagementError(f"{from_assistant} has no clients to hand over.")
    return outgoing


def hand_over_preview(*, from_assistant: User, to_assistant: User) -> WorkMoved:
    """What a hand-over will move, for its confirm page; refused as the hand-over would be."""
    outgoing = _check_hand_over(from_assistant, to_assistant)
    return WorkMoved(
        from_assistant=from_assistant,
        to_assistant=to_assistant,
        clients=_work_in_hand(from_assistant, [e.organization for e in outgoing]),
    )


@transaction.atomic
def engagements_hand_over(*, actor: User, from_assistant: User, to_assistant: User) -> WorkMoved:
    """Moves every active engagement of one assistant, with its authority, and her work on
    those clients to another: open tasks, the recurring rules whose tasks went to her,
    unbooked trips and vendor conversations.

    Where the new assistant already works for the client, that engagement stays and takes over
    the primary role if the old one had it. Returns what moved, client by client."""
    _check_hand_over(from_assistant, to_assistant)
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
    moved = WorkMoved(
        from_assistant=from_assistant,
        to_assistant=to_assistant,
        clients=_move_work(
            actor=actor,
            from_assistant=from_assistant,
            to_assistant=to_assistant,
            organizations=[engagement.organization for engagement in outgoing],
        ),
    )
    for client in moved.clients:
        one = WorkMoved(from_assistant=from_assistant, to_assistant=to_assistant, clients=[client])
        audit_record(
            actor=actor,
            action="engagement.handed_over",
            summary=f"Handed {client.organization} over from {from_assistant} to {to_assistant}: "
            f"{one.describe()}",
            organization=client.organization,
        )
    return moved


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
