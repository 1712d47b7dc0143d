"""Roles come from the host's groups through a configurable mapping, or from the host's own adapter."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.test import override_settings

from safety_workflow.adapter import DefaultAdapter
from safety_workflow.roles import roles_for

from .factories import UserFactory

pytestmark = pytest.mark.django_db


@override_settings(SAFETY_WORKFLOW={"ROLES": {"councillor": "Elected Members",
                                              "members_services": ["Democratic Services", "Member Support"]}})
def test_group_mapping_is_the_councils_own():
    user = UserFactory()
    user.groups.add(Group.objects.create(name="Member Support"), Group.objects.create(name="Elected Members"))
    assert roles_for(user) == {"councillor", "members_services"}
    user.is_active = False
    assert roles_for(user) == frozenset()


class HRAdapter(DefaultAdapter):
    """A host that keeps roles in its HR system rather than in groups."""

    def get_user_roles(self, user):
        return {"legal", "not_a_role"} if user.email.endswith("@legal.example") else set()

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() < 4  # a four-day week


@override_settings(SAFETY_WORKFLOW={"ADAPTER": "tests.test_roles.HRAdapter"})
def test_host_adapter_replaces_role_resolution_and_calendar():
    from django.utils import timezone

    from safety_workflow import sla
    from safety_workflow.adapter import get_adapter

    assert roles_for(UserFactory(email="a@legal.example")) == {"legal"}  # unknown roles are ignored
    assert roles_for(UserFactory(email="b@council.example")) == frozenset()
    thursday = timezone.make_aware(dt.datetime(2026, 11, 19, 10, 0))
    due = sla.due_at(thursday, {"working_days": 1}, get_adapter().is_working_day)
    assert timezone.localtime(due).date() == dt.date(2026, 11, 23)  # Friday is not a working day here


def test_working_days_skip_weekends_and_bank_holidays():
    from django.utils import timezone

    from safety_workflow import sla
    from safety_workflow.adapter import get_adapter

    christmas_eve = timezone.make_aware(dt.datetime(2026, 12, 24, 15, 30))
    due = sla.due_at(christmas_eve, {"working_days": 1}, get_adapter().is_working_day)
    assert timezone.localtime(due) == timezone.make_aware(dt.datetime(2026, 12, 29, 15, 30))
    friday = timezone.make_aware(dt.datetime(2026, 11, 20, 16, 0))
    assert sla.due_at(friday, {"hours": 1}, get_adapter().is_working_day) - friday == dt.timedelta(hours=1)


def test_roles_are_resolved_once_per_user_object_and_a_fresh_object_sees_a_change(django_assert_num_queries):
    """As Django keeps permissions on the user object: one look-up however many checks, and a change of groups
    shows on the next object loaded (the next request), not on one already holding its answer."""
    from django.contrib.auth import get_user_model

    from safety_workflow.conf import app_settings

    from .factories import make_user

    user = make_user("frontline")
    with django_assert_num_queries(1):
        assert roles_for(user) == {"frontline"}
        assert roles_for(user) == {"frontline"}
    user.groups.set([Group.objects.get_or_create(name=app_settings.ROLES["members_services"][0])[0]])
    with django_assert_num_queries(0):
        assert roles_for(user) == {"frontline"}
    fresh = get_user_model().objects.get(pk=user.pk)
    assert roles_for(fresh) == {"members_services"}
