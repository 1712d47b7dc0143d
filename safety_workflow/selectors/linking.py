"""Proposing links between a new incident and subjects already recorded, for the triage task.

Only proposals: linking is the triage officer's decision (``services.cases.case_link_subject``),
never done silently. What the reporter knew of the person is in ``Incident.subject_details``::

    {"full_name": "Jo Bloggs", "aliases": ["JB"], "description": "...",
     "handles": [{"kind": "email", "value": "jo@example.com"}, {"kind": "social", "platform": "X", "value": "@jb"}],
     "email": "...", "phone": "...", "social": "..."}   # the single-value keys are accepted too

Contact handles are matched in the database on ``ContactHandle.normalised`` (indexed), those the reporter
gave and those read from the incident's evidence (an e-mail address, a social-media handle or a phone
number visible in a screenshot or an e-mail): a handle seen only in the evidence makes a "possible"
suggestion, explained as such, never a link. Names and
aliases are compared after ``matching.fold`` (accents, case and punctuation removed), which the
database cannot do portably, so the recorded names are read in two queries and folded here.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..matching import fold, normalise_handle
from ..models import Case, ContactHandle, CourseOfConductFlag, Incident, Subject, SubjectAlias
from .patterns import open_case_annotations, open_case_of

HANDLE_KINDS = {c.value for c in ContactHandle.Kind}
#: Single-value keys a reporter's form may use, and the handle kind each holds.
DETAIL_KEYS = {
    "email": "email", "emails": "email",
    "phone": "phone", "phones": "phone",
    "social": "social", "socials": "social", "social_media": "social",
    "address": "address",
}
KIND_WORDS = {"email": gettext_lazy("e-mail address"), "phone": gettext_lazy("phone number"),
              "social": gettext_lazy("social-media account"), "address": gettext_lazy("postal address"),
              "other": gettext_lazy("contact detail")}


def _as_list(value: Any) -> list[Any]:
    if value in (None, ""):
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def reported_names(details: dict[str, Any]) -> list[str]:
    names = _as_list(details.get("full_name")) + _as_list(details.get("name")) + _as_list(details.get("aliases"))
    return [n for n in (str(n).strip() for n in names) if n]


def reported_handles(details: dict[str, Any]) -> list[tuple[str, str, str]]:
    """``(kind, value as reported, normalised)`` for every handle in the details."""
    found: list[tuple[str, str]] = []
    for item in _as_list(details.get("handles")):
        if isinstance(item, dict) and item.get("kind") in HANDLE_KINDS and item.get("value"):
            found.append((item["kind"], str(item["value"])))
    for key, kind in DETAIL_KEYS.items():
        found += [(kind, str(v)) for v in _as_list(details.get(key)) if v]
    result, seen = [], set()
    for kind, value in found:
        normalised = normalise_handle(kind, value)
        if normalised and (kind, normalised) not in seen:
            seen.add((kind, normalised))
            result.append((kind, value.strip(), normalised))
    return result


_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_SOCIAL = re.compile(r"(?<![\w@.])@[A-Za-z0-9_]{2,30}\b(?!\.[A-Za-z])")
_PHONE = re.compile(r"(?<!\d)(?:\+44\s?\(?0?\)?\s?|0)(?:\d[\s-]?){9,10}(?!\d)")


def handles_in_text(text: str) -> list[tuple[str, str]]:
    """``(kind, value)`` for each e-mail address, social-media handle and UK phone number in ``text``."""
    found: list[tuple[str, str]] = []
    found += [("email", m.group(0).strip(".")) for m in _EMAIL.finditer(text)]
    found += [("social", m.group(0)) for m in _SOCIAL.finditer(text)]
    found += [("phone", " ".join(m.group(0).split())) for m in _PHONE.finditer(text)]
    return found


def evidence_handles(incident: Incident) -> list[tuple[str, str, str, str]]:
    """``(kind, value as read, normalised, file name)`` for the handles read from the incident's evidence."""
    from ..models import EvidenceText

    rows = (EvidenceText.objects.filter(evidence__incident=incident, status=EvidenceText.Status.DONE)
            .exclude(text="").values_list("text", "evidence__original_name"))
    result, seen = [], set()
    for text, name in rows:
        for kind, value in handles_in_text(text):
            normalised = normalise_handle(kind, value)
            if normalised and (kind, normalised) not in seen:
                seen.add((kind, normalised))
                result.append((kind, value, normalised, name))
    return result


def name_match(reported: str, recorded: str) -> str | None:
    """``"exact"``, ``"partial"`` (same first and last names, or the same names in another order) or None."""
    a, b = fold(reported).split(), fold(recorded).split()
    if not a or not b:
        return None
    if a == b:
        return "exact"
    if len(a) >= 2 and len(b) >= 2 and (sorted(a) == sorted(b) or (a[0] == b[0] and a[-1] == b[-1])):
        return "partial"
    return None


def subject_suggestions(incident: Incident) -> list[dict[str, Any]]:
    """Subjects whose names, aliases or contact handles match what was reported, strongest first.

    Each suggestion: ``subject`` (the Subject), ``strength`` ("strong": a contact handle or the full
    name matches exactly; otherwise "possible"), ``matched`` (what matched what), ``explanation``,
    ``incident_count`` and ``open_case`` (reference). The subject carries the annotations of
    ``selectors.patterns.subjects_listed``, so ``api.subjects.SuggestionSerializer`` can show it.
    Six queries at most (one reads the contact details in the evidence), whatever the register size.
    """
    details = incident.subject_details if isinstance(incident.subject_details, dict) else {}
    names = reported_names(details)
    handles = reported_handles(details)
    matches: dict[Any, list[dict[str, str]]] = {}

    reported_by_key = {(k, n): v for k, v, n in handles}
    seen_in_evidence = {(k, n): (v, name) for k, v, n, name in evidence_handles(incident)
                        if (k, n) not in reported_by_key}
    if handles or seen_in_evidence:
        rule = Q()
        for kind, normalised in [*((k, n) for k, _, n in handles), *seen_in_evidence]:
            rule |= Q(kind=kind, normalised=normalised)
        for row in ContactHandle.objects.filter(rule).values("subject_id", "kind", "value", "normalised"):
            key = (row["kind"], row["normalised"])
            if key in reported_by_key:
                matches.setdefault(row["subject_id"], []).append({
                    "on": row["kind"], "kind": "exact", "reported": reported_by_key[key], "recorded": row["value"]})
            else:
                value, name = seen_in_evidence[key]
                matches.setdefault(row["subject_id"], []).append({
                    "on": row["kind"], "kind": "evidence", "reported": f"{value} (read from {name})",
                    "recorded": row["value"]})

    if names:
        recorded = [(pk, "name", n) for pk, n in Subject.objects.exclude(full_name="").values_list("pk", "full_name")]
        recorded += [(pk, "alias", n) for pk, n in SubjectAlias.objects.values_list("subject_id", "name")]
        for pk, on, recorded_name in recorded:
            for name in names:
                how = name_match(name, recorded_name)
                if how:
                    matches.setdefault(pk, []).append(
                        {"on": on, "kind": how, "reported": name, "recorded": recorded_name})
                    break

    matches.pop(incident.subject_id, None)  # already linked: nothing to propose
    if not matches:
        return []
    subjects = Subject.objects.filter(pk__in=list(matches)).annotate(
        incident_count=Count("incidents", distinct=True),
        **open_case_annotations(),
        flagged=Exists(CourseOfConductFlag.objects.filter(subject=OuterRef("pk"), withdrawn_at__isnull=True)),
    ).prefetch_related("aliases")
    suggestions = []
    for subject in subjects:
        found = matches[subject.pk]
        # A handle the reporter gave, or the full name, is strong; one only seen in evidence is possible.
        strong = any((m["on"] not in ("name", "alias") and m["kind"] != "evidence")
                     or (m["on"] == "name" and m["kind"] == "exact") for m in found)
        suggestions.append({
            "subject": subject,
            "strength": "strong" if strong else "possible",
            "matched": found,
            "explanation": _explain(subject, found),
            "incident_count": subject.incident_count,
            "open_case": open_case_of(subject),
        })
    handle_matches = lambda s: sum(m["on"] not in ("name", "alias") for m in s["matched"])  # noqa: E731
    suggestions.sort(key=lambda s: (s["strength"] != "strong", -handle_matches(s), -len(s["matched"]),
                                    -s["incident_count"], str(s["subject"])))
    return suggestions


def _explain(subject: Subject, found: list[dict[str, str]]) -> str:
    parts = []
    for m in found:
        values = {"reported": m["reported"], "recorded": m["recorded"], "kind": KIND_WORDS.get(m["on"], m["on"])}
        if m["on"] == "name":
            parts.append((_('the name "%(reported)s" matches exactly') if m["kind"] == "exact" else
                          _('the name "%(reported)s" matches in part')) % values)
        elif m["on"] == "alias":
            parts.append(_('the name "%(reported)s" matches the alias "%(recorded)s"') % values)
        elif m["kind"] == "evidence":
            parts.append(_("the %(kind)s %(recorded)s appears in the evidence (%(reported)s): check it is theirs, "
                           "not someone they wrote to or about") % values)
        else:
            parts.append(_("the same %(kind)s (%(recorded)s)") % values)
    return _("Possibly %(subject)s: %(reasons)s.") % {"subject": subject, "reasons": "; ".join(parts)}


def suggestion_as_dict(suggestion: dict[str, Any]) -> dict[str, Any]:
    """A suggestion as plain data (what ``api.subjects.SuggestionSerializer`` gives, for task contexts)."""
    subject = suggestion["subject"]
    return {
        "subject": {
            "id": str(subject.pk), "full_name": subject.full_name, "display_name": str(subject),
            "identified": subject.is_identified, "aliases": [a.name for a in subject.aliases.all()],
            "incident_count": subject.incident_count, "open_case": open_case_of(subject),
            "course_of_conduct_flagged": subject.flagged,
        },
        "strength": suggestion["strength"],
        "explanation": suggestion["explanation"],
        "matched": suggestion["matched"],
    }


def triage_context(task: Any, case: Case) -> dict[str, Any]:
    """Link proposals for the triage officer (a task-context builder for the triage node): for each incident
    of the case without a subject, the recorded subjects it may be about. Six queries per such incident.
    """
    incidents = Incident.objects.filter(case=case, subject__isnull=True).order_by("occurred_at", "reference")
    return {
        "subject_suggestions": [
            {"incident": incident.reference,
             "suggestions": [suggestion_as_dict(s) for s in subject_suggestions(incident)]}
            for incident in incidents
        ]
    }

