from celery import shared_task

from . import services


@shared_task(acks_late=True)
def routines_dispatch() -> int:
    """Beat: routine trips whose occurrences come within their lead window become trips."""
    return services.routines_dispatch()
