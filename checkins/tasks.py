from datetime import timedelta

from celery import shared_task
from django.conf import settings

from . import services


@shared_task(acks_late=True)
def checkins_dispatch() -> None:
    """Beat, every minute: reminders and standing notes, due check-ins, lost batches."""
    services.checkins_dispatch()


@shared_task(acks_late=True)
def checkin_start(checkin_id: int) -> int:
    """A check-in sent now starts at once rather than at the next tick."""
    return services.checkin_start(checkin_id=checkin_id)


@shared_task(bind=True, acks_late=True, max_retries=services.MAX_ATTEMPTS + 2)
def checkin_deliver_batch(self, delivery_ids: list[int]) -> int:
    """One batch over one SMTP connection; what a temporary failure left is retried with a
    growing delay."""
    delay = min(settings.CHECKIN_RETRY_BACKOFF * 2**self.request.retries, 3600)
    result = services.deliver_batch(delivery_ids, retry_in=timedelta(seconds=delay))
    if result.retry_ids:
        raise self.retry(args=[result.retry_ids], countdown=delay)
    return result.sent
