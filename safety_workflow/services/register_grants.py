"""Granting and revoking access to one register entry (guardian object permissions), each one logged.

Only the register's officers grant. A grant is to a person or a group and takes effect at once:
visibility is read from the grant tables on every request, never cached.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils.translation import gettext as _

from ..adapter import get_adapter
from ..errors import Conflict, InvalidInput, NotFound
from ..models import AccessLogEntry, RegisterEntry, RegisterEntryEvent, RegisterEntryGroupGrant, RegisterEntryUserGrant
from ..roles import Role, roles_for
from ..selectors.register import REGISTER_OFFICER_ROLES, VIEW_PERMISSION
from .audit import access_log_record
from .register import _require_reason, _require_role


def view_permission() -> Permission:
    content_type = ContentType.objects.get_for_model(RegisterEntry)
    return Permission.objects.get(content_type=content_type, codename=VIEW_PERMISSION)


def _grantee(user: Any, group: Group | None) -> dict[str, Any]:
    if (user is None) == (group is None):
        raise InvalidInput(errors={"non_field_errors": [_("Give either a user or a group.")]})
    if user is not None:
        if not user.is_active or not roles_for(user) - {Role.FRONTLINE}:
            raise InvalidInput(
                _("Only active people with a role other than frontline can be granted an entry: frontline "
                "staff use the check."), errors={"user": [_("This person cannot be granted register entries.")]},
                code="grantee_not_eligible",
            )
        return {"user": user}
    frontline_groups = set(get_adapter().role_groups(Role.FRONTLINE))
    if group.name in frontline_groups:
        raise InvalidInput(_("Frontline staff use the check; their group cannot be granted entries."),
                           errors={"group": [_("This group cannot be granted register entries.")]},
                           code="grantee_not_eligible")
    return {"group": group}


def _log(*, actor: Any, action: str, entry: RegisterEntry, who: dict[str, Any], reason: str, result: str,
         request: Any) -> None:
    person = who.get("user")
    group = who.get("group")
    data = ({"user": person.pk, "user_name": get_adapter().display_name(person)} if person is not None
            else {"group": group.pk, "group_name": group.name})
    access_log_record(actor=actor, action=action, object_type="register_entry", object_id=entry.pk,
                      object_repr=entry.reference, purpose=reason, result=result, request=request, data=data)
    name = data.get("user_name") or f"group {data.get('group_name')}"
    RegisterEntryEvent.objects.create(
        entry=entry, actor=actor, action=f"access_{result}", reason=reason,
        summary=f"Access {'granted to' if action == AccessLogEntry.Action.GRANT else 'revoked from'} {name}.",
    )


def register_entry_grant(
    *, entry: RegisterEntry, actor: Any, reason: str, user: Any = None, group: Group | None = None,
    request: Any = None,
) -> RegisterEntryUserGrant | RegisterEntryGroupGrant:
    """Let ``user`` (or everyone in ``group``) see this entry in full. Idempotent; always logged."""
    _require_role(actor, REGISTER_OFFICER_ROLES, _("Only the monitoring officer or health and safety grant access."),
                  code="register_grant_not_permitted")
    reason = _require_reason(reason)
    who = _grantee(user, group)
    if entry.state == RegisterEntry.State.ERASED:
        raise Conflict(_("This entry has been erased."), code="register_entry_erased")
    model = RegisterEntryUserGrant if user is not None else RegisterEntryGroupGrant
    with transaction.atomic():
        grant, created = model.objects.get_or_create(
            content_object=entry, permission=view_permission(), **who,
            defaults={"granted_by": actor, "reason": reason},
        )
        _log(actor=actor, action=AccessLogEntry.Action.GRANT, entry=entry, who=who, reason=reason,
             result="granted" if created else "already_granted", request=request)
    return grant


def register_entry_revoke(*, entry: RegisterEntry, actor: Any, reason: str = "", user: Any = None,
                          group: Group | None = None, request: Any = None) -> None:
    """Withdraw a grant. The person (or group) loses sight of the entry with their next request."""
    _require_role(actor, REGISTER_OFFICER_ROLES, _("Only the monitoring officer or health and safety revoke access."),
                  code="register_grant_not_permitted")
    if (user is None) == (group is None):
        raise InvalidInput(errors={"non_field_errors": [_("Give either a user or a group.")]})
    who = {"user": user} if user is not None else {"group": group}
    model = RegisterEntryUserGrant if user is not None else RegisterEntryGroupGrant
    with transaction.atomic():
        deleted, _types = model.objects.filter(content_object=entry, permission__codename=VIEW_PERMISSION,
                                               **who).delete()
        if not deleted:
            raise NotFound(_("No such grant on this entry."))
        _log(actor=actor, action=AccessLogEntry.Action.REVOKE, entry=entry, who=who,
             reason=(reason or "").strip(), result="revoked", request=request)
