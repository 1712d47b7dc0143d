"""Writing the case timeline and the access log. Every other service calls these; nothing else writes them."""

from __future__ import annotations

from typing import Any

from ..adapter import get_adapter
from ..models import AccessLogEntry, Case, Incident, TimelineEntry


def timeline_record(
    *,
    case: Case,
    action: str,
    summary: str,
    actor: Any = None,
    incident: Incident | None = None,
    decision: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
    shared_with_councillor: bool = False,
) -> TimelineEntry:
    return TimelineEntry.objects.create(
        case=case,
        incident=incident,
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        summary=summary[:500],
        decision=decision[:200],
        reason=reason,
        data=data or {},
        shared_with_councillor=shared_with_councillor,
    )


def client_ip(request: Any) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def access_log_record(
    *,
    actor: Any,
    action: str,
    object_type: str,
    object_id: Any = "",
    object_repr: str = "",
    purpose: str = "",
    result: str = "",
    reference: str = "",
    request: Any = None,
    data: dict[str, Any] | None = None,
) -> AccessLogEntry:
    """Record one read, check, grant, revocation or download. ``data`` holds identifiers, not content."""
    return AccessLogEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=get_adapter().display_name(actor) if getattr(actor, "pk", None) else "anonymous",
        action=action,
        object_type=object_type,
        object_id=str(object_id or ""),
        object_repr=str(object_repr)[:200],
        purpose=purpose,
        result=result,
        reference=reference,
        ip_address=client_ip(request),
        data=data or {},
    )
