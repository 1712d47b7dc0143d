"""Telling people things: queued as a task after the transaction commits, delivered by a worker.

Services call :func:`notify`; nothing is sent inside the request. The worker's task
(``background.send_notification``) gives the adapter's ``notify()`` the recipients as objects again,
so a host still customises delivery in one place (``DefaultAdapter.notify``).

What travels through the queue is small and stable: the event name, the recipients as references
(``"user:<pk>"``, ``"police_contact:<pk>"``, or ``"email:<address>"`` for anything else with an e-mail
address), the subject, the message and the context (identifiers only, never case detail).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

from django.contrib.auth import get_user_model

logger = logging.getLogger("safety_workflow")


def recipient_ref(recipient: Any) -> str | None:
    """The queue's reference for one recipient, or None if it cannot be reached (no e-mail, no account)."""
    from .models import PoliceContact

    if isinstance(recipient, PoliceContact):
        return f"police_contact:{recipient.pk}"
    if isinstance(recipient, get_user_model()):
        return f"user:{recipient.pk}"
    email = getattr(recipient, "email", "")
    return f"email:{email}" if email else None


def recipients_resolve(refs: Iterable[str]) -> list[Any]:
    """The references back as objects, in order, without duplicates; users no longer active are left out."""
    from .models import PoliceContact

    refs = list(dict.fromkeys(refs))
    keys: dict[str, list[str]] = {"user": [], "police_contact": []}
    for ref in refs:
        kind, _, key = ref.partition(":")
        if kind in keys:
            keys[kind].append(key)
    User = get_user_model()
    users = {str(u.pk): u for u in User._default_manager.filter(pk__in=keys["user"])
             if getattr(u, "is_active", True)} if keys["user"] else {}
    contacts = ({str(c.pk): c for c in PoliceContact.objects.filter(pk__in=keys["police_contact"])}
                if keys["police_contact"] else {})
    people: list[Any] = []
    for ref in refs:
        kind, _, key = ref.partition(":")
        found = {"user": users, "police_contact": contacts}.get(kind, {}).get(key)
        if kind == "email" and key:
            found = SimpleNamespace(email=key, pk=None)
        if found is not None:
            people.append(found)
    return people


def notify(*, event: str, recipients: Iterable[Any], subject: str, message: str,
           context: dict[str, Any] | None = None) -> None:
    """Queue a notice to ``recipients`` (users, police contacts, or objects with an ``email``).

    It is sent by a worker, through the adapter's ``notify()``, once the current transaction commits;
    a rolled-back change tells nobody. ``context`` carries identifiers only (JSON).
    """
    from .background import enqueue_after_commit, send_notification

    refs = list(dict.fromkeys(ref for ref in map(recipient_ref, recipients) if ref))
    if not refs:
        logger.info("safety_workflow: %s has no recipient who can be told", event)
        return
    enqueue_after_commit(send_notification, event=event, recipients=refs, subject=subject, message=message,
                         context=context or {})
