"""Who may read which notifications and webhook subscriptions.

Notifications: the case officers (members services, health and safety, the monitoring officer) read the
notices with their text, except that members services do not see the register's notices (they see only the
entries granted to them), and only the monitoring officer sees those about legal holds. Information governance
reads every notice without its text, case or address (who was told, when, through which channel, and whether it
arrived). Nobody else reads them. Webhook subscriptions: the monitoring officer and information governance.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from ..models import Notification, WebhookSubscription
from ..roles import Role, roles_for

TEXT_ROLES = frozenset({Role.MEMBERS_SERVICES, Role.HEALTH_AND_SAFETY, Role.MONITORING_OFFICER})
WEBHOOK_ROLES = frozenset({Role.MONITORING_OFFICER, Role.INFORMATION_GOVERNANCE})


def notifications_visible_to(user: Any) -> QuerySet[Notification]:
    roles = roles_for(user)
    found = Notification.objects.select_related("case")
    if roles & {Role.MONITORING_OFFICER, Role.INFORMATION_GOVERNANCE}:
        return found
    if not roles & {Role.MEMBERS_SERVICES, Role.HEALTH_AND_SAFETY}:
        return found.none()
    found = found.exclude(context__has_key="legal_hold")  # holds: the monitoring officer's and legal's
    if Role.HEALTH_AND_SAFETY not in roles:
        found = found.exclude(context__has_key="register_entry")
    return found


def notification_text_visible(user: Any) -> bool:
    """Whether the caller reads the notices' text, case and address (the case officers), or only that they
    were sent (information governance)."""
    return bool(roles_for(user) & TEXT_ROLES)


def webhooks_visible_to(user: Any) -> QuerySet[WebhookSubscription]:
    if roles_for(user) & WEBHOOK_ROLES:
        return WebhookSubscription.objects.all()
    return WebhookSubscription.objects.none()
