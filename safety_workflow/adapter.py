"""The one place a host platform customises safety_workflow.

Set ``SAFETY_WORKFLOW["ADAPTER"]`` to a subclass of :class:`DefaultAdapter` to change how
roles are resolved, how people are notified, how references look and which days are
working days.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db.models import QuerySet

from .conf import app_settings

logger = logging.getLogger("safety_workflow")


class DefaultAdapter:
    """Behaviour a host can override one method at a time."""

    # Roles ---------------------------------------------------------------------------
    def role_groups(self, role: str) -> list[str]:
        groups = app_settings.ROLES.get(role) or []
        return [groups] if isinstance(groups, str) else list(groups)

    def get_user_roles(self, user: Any) -> set[str]:
        """Roles from the host's groups through ``SAFETY_WORKFLOW["ROLES"]``."""
        names = set(user.groups.values_list("name", flat=True))
        return {role for role in app_settings.ROLES if names & set(self.role_groups(role))}

    def users_with_role(self, role: str) -> QuerySet:
        User = get_user_model()
        return User._default_manager.filter(
            is_active=True, groups__name__in=self.role_groups(role)
        ).distinct()

    # Display and references -------------------------------------------------------------
    def display_name(self, user: Any) -> str:
        if user is None:
            return "system"
        full = getattr(user, "get_full_name", lambda: "")()
        return full or user.get_username()

    def format_case_reference(self, *, year: int, number: int) -> str:
        return f"{app_settings.REFERENCE_PREFIX}-{year}-{number:04d}"

    def format_incident_reference(self, *, case_reference: str, number: int) -> str:
        return f"{case_reference}-{number:02d}"

    def format_register_reference(self, *, year: int, number: int) -> str:
        return f"{app_settings.REFERENCE_PREFIX}-PVPR-{year}-{number:04d}"

    # Calendar --------------------------------------------------------------------------
    def is_working_day(self, day: dt.date) -> bool:
        if day.weekday() not in app_settings.WORKING_DAYS:
            return False
        return day.isoformat() not in set(app_settings.NON_WORKING_DATES)

    # Notifications -----------------------------------------------------------------------
    def notify(self, *, event: str, recipients: Iterable[Any], subject: str, message: str,
               context: dict[str, Any] | None = None) -> None:
        """Tell people something happened. The default sends a plain e-mail with no case detail.

        Override to use the host's own channels (intranet inbox, Teams, SMS). ``recipients``
        are users or objects with an ``email`` attribute; ``context`` carries identifiers only.
        """
        addresses = sorted({r.email for r in recipients if getattr(r, "email", "")})
        if not addresses:
            logger.info("safety_workflow: %s has no recipient with an e-mail address", event)
            return
        send_mail(subject, message, None, addresses, fail_silently=False)

    def phone_number(self, recipient: Any) -> str:
        """The number to text ``recipient`` on (GOV.UK Notify SMS), or "" if none: a police contact's phone, or
        the phone on the protected-person record of a user (a councillor). Override to use the host's directory."""
        phone = getattr(recipient, "phone", "") or ""
        if not phone and isinstance(recipient, get_user_model()):
            from .models import ProtectedPerson

            phone = ProtectedPerson.objects.filter(user=recipient).values_list("phone", flat=True).first() or ""
        return str(phone).strip()


def get_adapter() -> DefaultAdapter:
    return app_settings.ADAPTER()
