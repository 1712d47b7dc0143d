"""Factories for the tests. Users are made with the host's (custom) user model and given roles by group."""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from safety_workflow.conf import app_settings
from safety_workflow.models import Case, Incident, PoliceContact, ProtectedPerson, Subject


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@council.example")
    display_name = factory.Faker("name", locale="en_GB")

    @factory.post_generation
    def password(self, create, value, **kwargs):
        self.set_password(value or "pw")
        if create:
            self.save(update_fields=["password"])


def make_user(*roles: str, **kwargs) -> object:
    """A user holding ``roles`` through the groups the settings map them to."""
    user = UserFactory(**kwargs)
    for role in roles:
        for name in app_settings.ROLES[role]:
            user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user


class SubjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subject

    full_name = factory.Faker("name", locale="en_GB")


class PoliceContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PoliceContact

    name = "PC Sam Okafor"
    force = "Northshire Police"
    role_title = "Force Elected Official Adviser"
    email = "feoa@police.example"


def person_for(user) -> ProtectedPerson:
    """A councillor's (or a candidate's with an account) own protected-person record."""
    if isinstance(user, ProtectedPerson):
        return user
    return ProtectedPerson.objects.get_or_create(user=user, defaults={"kind": ProtectedPerson.Kind.COUNCILLOR})[0]


def make_person(kind: str = ProtectedPerson.Kind.STAFF, **fields) -> ProtectedPerson:
    """A protected person without an account (a candidate, a household member, a supporter, staff)."""
    fields.setdefault("full_name", f"{kind.title()} Person")
    return ProtectedPerson.objects.create(kind=kind, **fields)


def make_case_with_incidents(*, councillor, reporter=None, subject=None, count=1, start=None,
                             channel=Incident.Channel.EMAIL, level="", state=Case.State.OPEN,
                             step=dt.timedelta(days=7)) -> Case:
    """A case and incidents written straight to the database, without running the flow.

    For tests of reads (reports, patterns, bundles) that need history, not workflow. ``councillor`` is the
    person harmed: a user (their own record is used) or a protected person.
    """
    from safety_workflow.flows import IncidentFlow
    from safety_workflow.services.references import case_reference_next, incident_reference_next

    start = start or timezone.now() - dt.timedelta(days=90)
    case = Case.objects.create(flow_class=IncidentFlow, reference=case_reference_next(),
                               subject=subject, level=level, state=state)
    for n in range(count):
        person = person_for(councillor)
        Incident.objects.create(
            reference=incident_reference_next(case=case), case=case,
            reported_by=reporter or person.user,
            protected_person=person, person_kind=person.kind, occurred_at=start + step * n, channel=channel,
            account=f"Incident {n + 1}", subject=subject,
        )
    return case
