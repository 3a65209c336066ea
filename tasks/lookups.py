"""One lookup per model for views: another organization's row is a 404."""

from django.http import Http404
from django.shortcuts import get_object_or_404

from vapportal.params import id_or_404

from .models import Attachment, BudgetRequest, ChecklistItem, PendingUpload, Task


def get_task_for_user(user, pk: int) -> Task:
    # Only the relations every task has are joined: with its project, milestone and rule
    # too, PostgreSQL spent 3 ms planning the eight-table join on every task view, more
    # than the few tasks that have them spend reading each in its own query.
    return get_object_or_404(
        Task.objects.visible_to(user).select_related(
            "organization", "assignee", "requested_by", "created_by"
        ),
        pk=pk,
    )


def get_attachment_for_user(user, task_pk: int, pk: int) -> Attachment:
    return get_object_or_404(
        Attachment.objects.filter(task__in=Task.objects.visible_to(user), task_id=task_pk), pk=pk
    )


def get_checklist_item_for_user(user, task_pk: int, pk: int) -> ChecklistItem:
    return get_object_or_404(
        ChecklistItem.objects.filter(
            task__in=Task.objects.visible_to(user), task_id=task_pk
        ).select_related("task__organization"),
        pk=pk,
    )


def get_budget_request_for_user(user, pk: int) -> BudgetRequest:
    return get_object_or_404(
        BudgetRequest.objects.filter(task__in=Task.objects.visible_to(user)), pk=pk
    )


def get_pending_upload_for_user(user, pk) -> PendingUpload:
    """One of the person's own kept files; anyone else's is a 404."""
    return get_object_or_404(PendingUpload.objects.visible_to(user), pk=id_or_404(pk))


def get_pending_uploads_for_user(user, pks: list[str]) -> list[PendingUpload]:
    """The person's own kept files a form names; naming anyone else's is a 404."""
    ids = {id_or_404(pk) for pk in pks}
    uploads = list(PendingUpload.objects.visible_to(user).filter(pk__in=ids))
    if len(uploads) != len(ids):
        raise Http404
    return uploads
