"""The queue row, written in Python rather than as an include: it stands 25 times on the
page assistants open most, and as a template it cost more than the rest of the page. The
htmx actions answer with the same row (tasks/_queue_row.html loads this tag)."""

from html import escape

from django import template
from django.urls import reverse
from django.utils.safestring import mark_safe

from vapportal.templatetags.portal import due, priority_badge, status_badge

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

ROW = """<tr id="task-{pk}"{overdue}>
  <td>{priority}</td>
  <td><a href="{url}">{title}</a><div class="small text-secondary">{client} · {category}</div></td>
  <td class="small">{due}</td>
  <td>{status}<div class="small text-secondary">{assignee}</div></td>
  <td class="text-end">{actions}</td>
</tr>"""


@register.simple_tag(takes_context=True)
def queue_row(context, task) -> str:
    """One task of the queue with the actions the viewer may take on it inline: claim it
    from the pool, or log time on and complete their own. Every value from the database is
    escaped here; the templates above are fixed markup."""
    tasks_url, hidden_inputs, viewer_id = _shared_by_every_row(context)
    fields = {
        "pk": task.pk,
        "url": f"{tasks_url}{task.pk}/",
        "title": escape(task.title),
        "csrf": hidden_inputs,
    }
    actions = ""
    if task.status == "new":
        actions = CLAIM.format(**fields)
    elif task.assignee_id == viewer_id:
        forms = LOG_TIME.format(**fields)
        if task.status == "in_progress":
            forms += DONE.format(**fields)
        actions = f'<div class="d-flex flex-wrap gap-1 justify-content-end">{forms}</div>'
    assignee = (task.assignee.full_name or task.assignee.email) if task.assignee else "In the pool"
    return mark_safe(  # noqa: S308 (fixed markup; every value is escaped above or below)
        ROW.format(
            overdue=' class="table-danger"' if task.is_overdue else "",
            priority=priority_badge(task.priority),
            client=escape(task.organization.name),
            category=escape(task.get_category_display()),
            due=due(task),
            status=status_badge(task.status),
            assignee=escape(assignee),
            actions=actions,
            **fields,
        )
    )


def _shared_by_every_row(context) -> tuple[str, str, int]:
    """Worked out for the first row of a page and kept for the rest: where tasks live (a
    task's page and its actions are /tasks/<pk>/…/, tasks/urls.py), the forms' hidden
    inputs, and who is looking."""
    shared = context.render_context.get("queue_row")
    if shared is None:
        token = escape(str(context["csrf_token"]))
        shared = context.render_context["queue_row"] = (
            reverse("tasks:list"),
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
            '<input type="hidden" name="from" value="queue">',
            context["user"].pk,
        )
    return shared
