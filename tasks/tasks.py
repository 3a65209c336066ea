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
