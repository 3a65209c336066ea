from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from .. import services
from ..forms import QueueFilterForm
from ..queue import QueuePaginator, engaged_organizations, queue_for, running_timer

PAGE_SIZE = 25


def _assistant_required(request) -> None:
    if not hasattr(request.user, "assistant_profile"):
        raise Http404


@login_required
def queue(request):
    """Every client's open work in one list: the assistant's own tasks and the pool."""
    _assistant_required(request)
    clients = engaged_organizations(request.user)
    form = QueueFilterForm(
        request.GET or None, organizations=[(client.pk, client.name) for client in clients]
    )
    filters = form.cleaned_data if form.is_valid() else {}
    tasks = queue_for(
        request.user,
        organization_ids=[client.pk for client in clients],
        organization_id=filters.get("organization"),
        status=filters.get("status", ""),
        category=filters.get("category", ""),
        due=filters.get("due", ""),
    )
    page = QueuePaginator(tasks, PAGE_SIZE, assistant=request.user, clients=clients).get_page(
        request.GET.get("page"), after=request.GET.get("after")
    )
    params = request.GET.copy()
    params.pop("page", None)
    params.pop("after", None)
    return render(
        request,
        "tasks/queue.html",
        {
            "page": page,
            "form": form,
            "query_string": params.urlencode(),
            "timer": running_timer(request.user),
        },
    )


@login_required
@require_POST
def take_next(request):
    task = services.claim_next_task(assistant=request.user)
    if task is None:
        _assistant_required(request)  # only an assistant's clients have a pool to take from
        messages.info(request, "The pool is empty: nothing is waiting to be taken.")
        return redirect("tasks:queue")
    messages.success(request, f"You took “{task.title}” for {task.organization_name}.")
    return redirect("tasks:detail", pk=task.pk)
