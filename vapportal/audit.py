from .models import AuditEvent


def audit_record(*, actor, action: str, summary: str, organization=None) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor, action=action, summary=summary[:300], organization=organization
    )
