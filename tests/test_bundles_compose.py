"""The pure parts of bundles: redaction, the liaison pack's lists, witness initials. No PDF library needed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from safety_workflow.bundles.compose import liaison_escalations, liaison_register_changes
from safety_workflow.bundles.court import witness_initials
from safety_workflow.bundles.redact import Redaction, Redactor, Verbatim
from safety_workflow.models import Assessment

from .factories import SubjectFactory, make_case_with_incidents


def test_redaction_matches_whole_phrases_across_case_and_line_breaks():
    item = Redaction(text="14 Laburnum  Grove", replacement="[redacted: address]", reason="address", source="requested")
    short = Redaction(text="Ann", replacement="[A]", reason="name", source="automatic")
    redactor = Redactor([item, short])
    text = redactor.text("He came to 14 LABURNUM\nGrove, then told Ann. Announcements: none.")
    assert text == "He came to [redacted: address], then told [A]. Announcements: none."
    assert redactor.tree({"a": ["14 laburnum grove"], "b": ("ann",), "c": Verbatim("Ann"), "d": 3}) == {
        "a": ["[redacted: address]"], "b": ("[A]",), "c": "Ann", "d": 3}
    log = redactor.log()
    assert [e["occurrences"] for e in log] == [2, 2]
    assert "Laburnum" not in str(log)
    assert redactor.found_in("at 14 Laburnum Grove") == [item]


@pytest.mark.django_db
def test_liaison_lists_come_from_the_patterns_and_the_register(people, decision_table):
    from safety_workflow.services.patterns import conduct_flags_update

    from .register_helpers import direct_entry

    today = timezone.localdate()
    since = today - dt.timedelta(days=30)
    repeat = SubjectFactory(full_name="Repeat Person")
    make_case_with_incidents(councillor=people.councillor, subject=repeat, count=2,
                             start=timezone.now() - dt.timedelta(days=20), step=dt.timedelta(days=5))
    rising = SubjectFactory(full_name="Rising Person")
    case = make_case_with_incidents(councillor=people.councillor2, subject=rising, count=2,
                                    start=timezone.now() - dt.timedelta(days=90), step=dt.timedelta(days=70))
    first, second = case.incidents.order_by("occurred_at")
    for level, days_ago, incident in (("low", 80, first), ("serious", 10, second)):
        item = Assessment.objects.create(case=case, decision_table=decision_table, answers={}, computed_level=level,
                                         level=level, route="advice", assessed_by=people.safety,
                                         assessed_at=timezone.now() - dt.timedelta(days=days_ago))
        item.incidents.set([incident])
    once = SubjectFactory(full_name="Single Person")
    make_case_with_incidents(councillor=people.councillor, subject=once, count=1,
                             start=timezone.now() - dt.timedelta(days=3))
    for subject in (repeat, rising, once):
        conduct_flags_update(subject=subject, actor=people.safety)

    rows = liaison_escalations(since, today)
    subjects = [r["subject"] for r in rows]
    assert "Single Person" not in subjects
    repeat_rows = [r for r in rows if r["subject"] == "Repeat Person"]
    assert any(r["incidents"] == 2 and r["protected_person"] == "Cllr Ahmed (Councillor)" for r in repeat_rows)
    rising_rows = [r for r in rows if r["subject"] == "Rising Person"]
    assert any(r["reason"].startswith("The incidents are becoming more serious") for r in rising_rows)
    assert all(r["reason"] for r in rows)

    entry = direct_entry(people, name="Paula Marsh")
    from safety_workflow.models import RegisterEntryEvent

    RegisterEntryEvent.objects.create(entry=entry, actor=people.monitoring, action="approved", summary="Approved")
    RegisterEntryEvent.objects.create(entry=entry, actor=people.monitoring, action="changed", summary="Typo")
    changes = liaison_register_changes(since, today, user=people.monitoring)
    assert [(c["subject"], c["change"], c["by"]) for c in changes] == [("Paula Marsh", "Approved", "Mona Officer")]
    # Members services hold no grant on the entry: it is not in their pack.
    assert liaison_register_changes(since, today, user=people.members) == []


def test_witness_initials_are_unique_and_skip_titles():
    taken: set[str] = set()
    assert witness_initials("Cllr Alice Brown", taken) == "AB"
    assert witness_initials("Councillor Anna Baker", taken) == "AB2"
    assert witness_initials("Cllr Ahmed", taken) == "A"
