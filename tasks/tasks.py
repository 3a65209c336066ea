from celery import shared_task

from . import notifications, recurring


@shared_task(acks_late=True)
def notification_digests_dispatch() -> int:
    return notifications.digests_dispatch()


@shared_task(acks_late=True)
def due_reminders_dispatch() -> int:
    return notifications.due_reminders_dispatch()


@shared_task(acks_late=True)
def recurring_tasks_dispatch() -> int:
    return recurring.recurring_tasks_materialize()


@shared_task(acks_late=True)
def pending_uploads_dispatch() -> int:
    """Removes files kept from task forms that were never saved, once they are a day old."""
    from .services import pending_uploads_clean

    return pending_uploads_clean()
