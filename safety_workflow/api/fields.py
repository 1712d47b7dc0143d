"""Dates and date-times as the API takes and gives them: one rule for every body, query and filter.

Input: RFC 3339 / ISO 8601 (``2026-11-20T19:40:00Z``, ``2026-11-20T19:40:00+01:00``); a date-time without an
offset is read as local time (``TIME_ZONE``). Years outside 1900-2100 are refused (a typo such as ``0172`` is
not a date anyone means), and so are UTC offsets beyond +/-15:59, which PostgreSQL cannot store or compare.
Output: always UTC with ``Z`` (``2026-11-20T19:40:00Z``), so that every client's RFC 3339 parser reads it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

MIN_YEAR = 1900
MAX_YEAR = 2100
#: PostgreSQL refuses time zone displacements beyond this.
MAX_OFFSET = dt.timedelta(hours=15, minutes=59)

DATETIME_FORMAT_HELP = "YYYY-MM-DDThh:mm[:ss[.ffffff]][Z|+hh:mm]"

MESSAGES = {
    "invalid_datetime": format_lazy(_("Give a date-time as {}."), DATETIME_FORMAT_HELP),
    "invalid_date": _("Give a date as YYYY-MM-DD."),
    "year_range": format_lazy(_("Give a year from {} to {}."), MIN_YEAR, MAX_YEAR),
    "offset_range": _("The UTC offset must lie between -15:59 and +15:59."),
}


def parse_api_datetime(value: Any) -> dt.datetime:
    """The aware date-time ``value`` stands for, or ``ValidationError`` with a message for people."""
    if isinstance(value, dt.datetime):
        parsed: dt.datetime | None = value
    elif isinstance(value, str) and len(value) <= 64:
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            parsed = None
    else:
        parsed = None
    if parsed is None:
        raise ValidationError(MESSAGES["invalid_datetime"], code="invalid")
    offset = parsed.utcoffset()
    if offset is not None and abs(offset) > MAX_OFFSET:
        raise ValidationError(MESSAGES["offset_range"], code="offset_range")
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise ValidationError(MESSAGES["year_range"], code="year_range")
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, timezone.get_current_timezone())
    return parsed.astimezone(dt.UTC)


def parse_api_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        raise ValidationError(MESSAGES["invalid_date"], code="invalid")
    if isinstance(value, dt.date):
        parsed: dt.date | None = value
    elif isinstance(value, str) and len(value) <= 32:
        try:
            parsed = parse_date(value.strip())
        except ValueError:
            parsed = None
    else:
        parsed = None
    if parsed is None:
        raise ValidationError(MESSAGES["invalid_date"], code="invalid")
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise ValidationError(MESSAGES["year_range"], code="year_range")
    return parsed


def format_api_datetime(value: dt.datetime | None) -> str | None:
    """RFC 3339 in UTC: ``2026-11-20T19:40:00Z`` (with microseconds when there are any)."""
    if value is None:
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_current_timezone())
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


class DateTimeField(serializers.DateTimeField):
    """A date-time in a body or a query, bounded as the module says; given back in UTC."""

    def to_internal_value(self, value: Any) -> dt.datetime:
        try:
            return parse_api_datetime(value)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None

    def to_representation(self, value: Any) -> str | None:
        if value in (None, ""):
            return None
        if isinstance(value, str):
            value = parse_datetime(value)
        return format_api_datetime(value)


class DateField(serializers.DateField):
    """A calendar date (YYYY-MM-DD), years 1900-2100."""

    def to_internal_value(self, value: Any) -> dt.date:
        try:
            return parse_api_date(value)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None

    def to_representation(self, value: Any) -> str | None:
        if value in (None, ""):
            return None
        if isinstance(value, str):
            return value
        if isinstance(value, dt.datetime):
            value = timezone.localdate(value) if timezone.is_aware(value) else value.date()
        return value.isoformat()


class DateTimeFormField(forms.Field):
    """The same rule for django-filter's query parameters."""

    def to_python(self, value: Any) -> dt.datetime | None:
        if value in self.empty_values:
            return None
        return parse_api_datetime(value)


class DateFormField(forms.Field):
    def to_python(self, value: Any) -> dt.date | None:
        if value in self.empty_values:
            return None
        return parse_api_date(value)
