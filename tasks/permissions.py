"""Who may act on an organization's tasks, beyond seeing them (`visible_to`)."""

from assistants.models import Engagement
from clients.models import Membership, Organization


def is_client(user, organization: Organization) -> bool:
    """An owner or manager of the organization."""
    return Membership.objects.filter(user=user, organization=organization).exists()


def is_engaged_assistant(user, organization: Organization) -> bool:
    return Engagement.objects.active().filter(assistant=user, organization=organization).exists()


def primary_assistant(organization: Organization):
    """Who is told about the client's pool work: its primary assistant, or while it has none
    (or theirs is deactivated), the backup engaged longest."""
    engagement = Engagement.objects.filter(organization=organization).lead()
    return engagement.assistant if engagement else None
