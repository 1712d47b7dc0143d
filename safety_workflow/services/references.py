"""Human-readable references: numbered per year (cases) or per case (incidents), never reused."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ..adapter import get_adapter
from ..models import Case, ReferenceSequence


def sequence_next(*, key: str) -> int:
    """The next number for ``key``; the row stays locked until the caller's transaction ends."""
    with transaction.atomic():
        if ReferenceSequence.objects.filter(key=key).update(value=F("value") + 1) == 0:
            try:
                with transaction.atomic():
                    ReferenceSequence.objects.create(key=key, value=1)
                    return 1
            except IntegrityError:
                ReferenceSequence.objects.filter(key=key).update(value=F("value") + 1)
        return ReferenceSequence.objects.get(key=key).value


def case_reference_next() -> str:
    year = timezone.localdate().year
    number = sequence_next(key=f"case:{year}")
    return get_adapter().format_case_reference(year=year, number=number)


def incident_reference_next(*, case: Case) -> str:
    number = sequence_next(key=f"incident:{case.reference}")
    return get_adapter().format_incident_reference(case_reference=case.reference, number=number)
