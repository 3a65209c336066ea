"""The queue's rows, written in Python rather than as an include: a row stands 25 times on
the page assistants open most, and as a template it cost more than the rest of the page.
The htmx actions answer with the same row (tasks/_queue_row.html loads this tag)."""

from html import escape

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.timezone import get_current_timezone

from tasks.models import is_overdue
from vapportal.templatetags.portal import due_markup, priority_badge, status_badge

register = template.Library()

CLAIM = """<form method="post" action="{url}claim/" hx-post="{url}claim/" hx-target="#task-{pk}" \
hx-swap="outerHTML">{csrf}<button class="btn btn-sm btn-primary" type="submit">Claim</button>\
</form>"""

LOG_TIME = """<form method="post" action="{url}time/" hx-post="{url}time/" hx-target="#task-{pk}" \
hx-swap="outerHTML" class="d-flex gap-1">{csrf}\
<input class="form-control form-control-sm minutes-input" type="number" min="1" name="minutes" \
placeholder="min" aria-label="Minutes to log on {title}" required>\
<button class="btn btn-sm btn-outline-secondary" type="submit">Log</button></form>"""

DONE = """<form method="post" action="{url}move/" hx-post="{url}move/" hx-target="#task-{pk}" \
hx-swap="outerHTML">{csrf}<input type="hidden" name="to" value="done">\
<button class="btn btn-sm btn-success" type="submit">Done</button></form>"""

TIMER = """ <span class="badge text-bg-dark timer-badge">Your timer is running</span>"""

ROW = """<tr id="task-{pk}"{overdue}>
  <td>{priority}</td>
  <td><a href="{url}">{title}</a>{timer}\
<div class="small text-secondary">{client} · {category}</div></td>
  <td class="small" data-label="Due">{due}</td>
  <td data-label="Status">{status}<div class="small text-secondary">{assignee}</div></td>
  <td class="text-end">{actions}</td>
</tr>"""


@register.simple_tag(takes_context=True)
def queue_rows(context, tasks) -> str:
    """The queue's rows, with the actions the viewer may take on each inline: claim it from
    the pool, or log time on and complete their own. Every value from the database is
    escaped here; the templates above are fixed markup."""
    page = _Page(context)
    return mark_safe("".join(page.row(task) for task in tasks))  # noqa: S308 (escaped in row)


@register.simple_tag(takes_context=True)
def queue_row(context, task) -> str:
    """One row, as the htmx actions answer."""
    return queue_rows(context, [task])


class _Page:
    """What every row of a page shares, worked out once: where tasks live (a task's page and
    its actions are /tasks/<pk>/…/, tasks/urls.py), the forms' hidden inputs, who is
    looking, their time zone, the time and which task their timer runs on."""

    def __init__(self, context):
        token = escape(str(context["csrf_token"]))
        self.tasks_url = reverse("tasks:list")
        self.hidden_inputs = (
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
            '<input type="hidden" name="from" value="queue">'
        )
        self.viewer_id = context["user"].pk
        timer = context.get("timer")
        self.timer_task_id = timer.task_id if timer else None
        self.zone = get_current_timezone()
        self.now = timezone.now()

    def row(self, task) -> str:
        fields = {
            "pk": task.pk,
            "url": f"{self.tasks_url}{task.pk}/",
            "title": escape(task.title),
            "csrf": self.hidden_inputs,
        }
        actions = ""
        if task.status == "new":
            actions = CLAIM.format(**fields)
        elif task.assignee_id == self.viewer_id:
            forms = LOG_TIME.format(**fields)
            if task.status == "in_progress":
                forms += DONE.format(**fields)
            actions = f'<div class="d-flex flex-wrap gap-1 justify-content-md-end">{forms}</div>'
        assignee = task.assignee
        overdue = is_overdue(task.status, task.due_at, self.now)
        return ROW.format(
            overdue=' class="table-danger"' if overdue else "",
            timer=TIMER if task.pk == self.timer_task_id else "",
            priority=priority_badge(task.priority),
            client=escape(task.organization.name),
            category=escape(task.get_category_display()),
            due=due_markup(
                task.due_at, overdue=overdue, zone=self.zone, client_zone=task.organization.zone
            ),
            status=status_badge(task.status),
            assignee=escape((assignee.full_name or assignee.email) if assignee else "In the pool"),
            actions=actions,
            **fields,
        )
