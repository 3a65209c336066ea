import codecs
import csv
from datetime import date

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone

from clients.models import Organization

from ..timesheets import month_bounds, time_entries_for_month


@login_required
def time_log_csv(request, organization_pk: int):
    """The month's time log of one client, as CSV (`?month=2026-11`, default this month)."""
    organization = get_object_or_404(
        Organization.objects.visible_to(request.user), pk=organization_pk
    )
    try:
        month = (
            date.fromisoformat(request.GET["month"] + "-01")
            if request.GET.get("month")
            else timezone.localdate(timezone=organization.zone).replace(day=1)
        )
    except ValueError as error:
        raise Http404("Unknown month") from error
    start, end = month_bounds(organization, month)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{organization.slug}-time-{month:%Y-%m}.csv"'
    )
    # Excel reads a CSV file as the machine's legacy code page unless it starts with a UTF-8
    # byte order mark: without one, “Müller” would come out as “MÃ¼ller”.
    response.write(codecs.BOM_UTF8)
    writer = csv.writer(response)
    writer.writerow(["date", "task", "assistant", "minutes", "note"])
    for entry in time_entries_for_month(organization, start, end):
        writer.writerow(
            [
                timezone.localtime(entry.logged_at, organization.zone).date().isoformat(),
                _safe(entry.task.title),
                entry.assistant.full_name,
                entry.minutes,
                _safe(entry.note),
            ]
        )
    return response


def _safe(text: str) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas; keep them text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
