"""Recording the people incidents are about."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from ..matching import clean_text
from ..models import ContactHandle, Subject, SubjectAlias


def subject_create(
    *,
    actor: Any,
    full_name: str = "",
    description: str = "",
    date_of_birth: dt.date | None = None,
    aliases: list[str] | None = None,
    handles: list[dict[str, str]] | None = None,
) -> Subject:
    with transaction.atomic():
        subject = Subject.objects.create(
            full_name=full_name.strip(), description=description, date_of_birth=date_of_birth,
            created_by=actor,
        )
        subject_add_details(subject=subject, aliases=aliases, handles=handles, actor=actor)
    return subject


def subject_add_details(
    *, subject: Subject, aliases: list[str] | None = None, handles: list[dict[str, str]] | None = None,
    actor: Any = None,
) -> Subject:
    """Add aliases and contact handles, skipping ones the subject already has. A new alias also goes
    on the subject's register entry, if they have one in force (the check must find them by it)."""
    added = False
    for name in aliases or []:
        name = clean_text(name)
        if name:
            added |= SubjectAlias.objects.get_or_create(subject=subject, name=name)[1]
    if added:
        from .register import register_entries_follow_subject

        register_entries_follow_subject(subject=subject, actor=actor)
    for handle in handles or []:
        item = ContactHandle(subject=subject, kind=handle["kind"], platform=handle.get("platform", ""),
                             value=handle["value"].strip())
        from ..matching import normalise_handle

        if not ContactHandle.objects.filter(
            subject=subject, kind=item.kind, normalised=normalise_handle(item.kind, item.value)
        ).exists():
            item.save()
    return subject
