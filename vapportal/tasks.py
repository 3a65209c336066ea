from celery import shared_task

from .emails import TemporaryEmailFailure, email_send


@shared_task(
    acks_late=True,
    autoretry_for=(TemporaryEmailFailure,),
    retry_backoff=30,
    retry_backoff_max=3600,
    max_retries=8,
)
def outgoing_email_send(email_id: int) -> bool:
    return email_send(email_id=email_id)
