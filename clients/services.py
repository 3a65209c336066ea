from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from accounts.models import User
from vapportal.audit import audit_record
from vapportal.csv_import import CSVFileError, csv_read

from .models import Organization, TeamMember

ROSTER_COLUMNS = ("name", "email", "location")
ROSTER_MAX_ROWS = 2000


class RosterImportError(Exception):
    """The file as a whole cannot be read; nothing was imported."""


@dataclass
class RosterRow:
    line: int
    name: str
    email: str
    location: str
    outcome: str = ""  # added, updated, unchanged or rejected
    reason: str = ""


@dataclass
class RosterImportReport:
    rows: list[RosterRow] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def counts(self) -> dict[str, int]:
        return {
            outcome: self.count(outcome)
            for outcome in ("added", "updated", "unchanged", "rejected")
        }

    @property
    def rejected(self) -> list[RosterRow]:
        return [row for row in self.rows if row.outcome == "rejected"]


def team_member_save(*, actor: User, member: TeamMember) -> TeamMember:
    creating = member.pk is None
    member.email = member.email.lower()
    stored_email = (
        None
        if creating
        else TeamMember.objects.filter(pk=member.pk).values_list("email", flat=True).first()
    )
    if stored_email is not None and stored_email != member.email:
        member.bounced_at, member.bounce_reason = None, ""  # a new address gets a new chance
    member.save()
    audit_record(
        actor=actor,
        action="team_member.added" if creating else "team_member.updated",
        summary=f"{'Added' if creating else 'Updated'} {member.name} on the team roster",
        organization=member.organization,
    )
    return member


def team_member_set_active(*, actor: User, member: TeamMember, active: bool) -> TeamMember:
    member.active = active
    member.save(update_fields=["active", "updated_at"])
    audit_record(
        actor=actor,
        action="team_member.reactivated" if active else "team_member.deactivated",
        summary=f"{'Reactivated' if active else 'Deactivated'} {member.name} on the team roster",
        organization=member.organization,
    )
    return member


def roster_import_csv(
    *, actor: User, organization: Organization, content: bytes
) -> RosterImportReport:
    """Adds or updates team members from a CSV with the columns name, email and location.

    Rows are matched to members by email: a new email is added, a known one updated (and
    reactivated). A row that fails a check is rejected with its reason and the other rows still
    apply; a file that cannot be read as such a CSV changes nothing."""
    rows = _parse_roster_csv(content)
    existing = {
        member.email.lower(): member
        for member in TeamMember.objects.filter(organization=organization)
    }
    seen: set[str] = set()
    for row in rows:
        _check_roster_row(row, seen)
        if row.outcome == "rejected":
            continue
        member = existing.get(row.email)
        if member is None:
            row.outcome = "added"
        elif (member.name, member.location, member.active) == (row.name, row.location, True):
            row.outcome = "unchanged"
        else:
            row.outcome = "updated"
    report = RosterImportReport(rows=rows)
    with transaction.atomic():
        for row in rows:
            if row.outcome == "added":
                TeamMember.objects.create(
                    organization=organization, name=row.name, email=row.email, location=row.location
                )
            elif row.outcome == "updated":
                member = existing[row.email]
                member.name, member.location, member.active = row.name, row.location, True
                member.save(update_fields=["name", "location", "active", "updated_at"])
        audit_record(
            actor=actor,
            action="team_member.imported",
            summary=(
                f"Imported the team roster: {report.count('added')} added, "
                f"{report.count('updated')} updated, {report.count('rejected')} rejected"
            ),
            organization=organization,
        )
    return report


def _parse_roster_csv(content: bytes) -> list[RosterRow]:
    try:
        table = csv_read(content, expected=ROSTER_COLUMNS, required=ROSTER_COLUMNS[:2])
    except CSVFileError as error:
        raise RosterImportError(str(error)) from error
    rows = [
        RosterRow(
            line=record.line,
            name=record.get("name"),
            email=record.get("email").lower(),
            location=record.get("location"),
        )
        for record in table.records
        if not record.is_blank
    ]
    if len(rows) > ROSTER_MAX_ROWS:
        raise RosterImportError(f"The file has more than {ROSTER_MAX_ROWS} rows.")
    if not rows:
        raise RosterImportError("The file has no rows below its header.")
    return rows


def _check_roster_row(row: RosterRow, seen: set[str]) -> None:
    reason = ""
    if not row.name:
        reason = "The name is empty."
    elif len(row.name) > TeamMember._meta.get_field("name").max_length:
        reason = "The name is too long."
    elif len(row.location) > TeamMember._meta.get_field("location").max_length:
        reason = "The location is too long."
    else:
        try:
            validate_email(row.email)
        except ValidationError:
            reason = f"“{row.email or '(empty)'}” is not an email address."
    if not reason and row.email in seen:
        reason = "This email appears earlier in the file."
    if reason:
        row.outcome, row.reason = "rejected", reason
    seen.add(row.email)
