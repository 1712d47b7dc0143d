"""Who may call which operation, and which records each role sees: the one table of the API's access rules.

Every API view reads its row here through :class:`~safety_workflow.api.base.SafetyAPIMixin` (a role outside
``roles`` is refused before the request body is read: 403 on a collection or on a record the caller may see,
404 ``not_found`` on one they may not, exactly as for one that does not exist). The OpenAPI schema declares
its error responses from the same rows (``api.schema.SafetyAutoSchema``), ``docs/api.md`` renders them
(:func:`render_markdown`), and ``tests/test_permission_matrix.py`` runs every operation as every role against
records each role owns, may see, may not see, and records that do not exist, and compares with this table.

A new operation needs a row: without one the view answers nothing (``ImproperlyConfigured``), the schema
generator warns, and the matrix test fails.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy

from ..roles import Role

C, CAND, MS, HS, L, MO, ES, P, F, IG = (
    Role.COUNCILLOR, Role.CANDIDATE, Role.MEMBERS_SERVICES, Role.HEALTH_AND_SAFETY, Role.LEGAL,
    Role.MONITORING_OFFICER, Role.ELECTORAL_SERVICES, Role.POLICE_LIAISON, Role.FRONTLINE,
    Role.INFORMATION_GOVERNANCE)
EVERY_ROLE = frozenset(Role.values)
CASE_OFFICERS = frozenset({MS, HS, MO})
SELF_REPORTERS = frozenset({C, CAND})
CASE_READERS = CASE_OFFICERS | SELF_REPORTERS | {ES, L, P}
REPORTERS = CASE_OFFICERS | SELF_REPORTERS | {ES}
TASK_ROLES = CASE_OFFICERS | {L, P}
BUNDLE_ROLES = CASE_OFFICERS | {L, P, IG}
REGISTER_READERS = EVERY_ROLE - {F, CAND}
PEOPLE_READERS = CASE_OFFICERS | SELF_REPORTERS | {ES}
ELECTION_WRITERS = frozenset({MS, MO, ES})
REGISTER_OFFICERS = frozenset({MO, HS})
CORRECTORS = frozenset({MS, HS})
HOLD_PLACERS = frozenset({MO, L})
HOLD_READERS = HOLD_PLACERS | {IG}
NOTIFICATION_READERS = CASE_OFFICERS | {IG}
WEBHOOK_MANAGERS = frozenset({MO, IG})

#: Statuses an operation may give besides those the schema works out for itself (400, 401/403, 415, and 404
#: on a record in the path): 404 for a record named in the query or body, 409, 413, 429, 503.
NOT_FOUND, CONFLICT, TOO_LARGE, RATE_LIMITED, UNAVAILABLE = 404, 409, 413, 429, 503


@dataclass(frozen=True)
class Access:
    """One operation's rule.

    ``roles``: the roles that may call it (a frozenset, or the name of a ``SAFETY_WORKFLOW`` setting listing
    them). ``refused``: the code a role outside them gets (403). ``resource``: the kind of record in the path,
    whose visibility :data:`VISIBILITY` gives. ``errors``: further statuses it may answer (409, 413, 429, 503).
    ``logs_refusal``: a refused call is itself recorded in the access log (and kept).
    """

    roles: frozenset[str] | str
    resource: str = ""
    refused: str = "forbidden"
    message: str = gettext_lazy("Your role may not do this.")
    errors: tuple[int, ...] = ()
    note: str = ""
    logs_refusal: bool = False
    discloses: frozenset[str] = field(default_factory=frozenset)

    def allowed_roles(self) -> frozenset[str]:
        if isinstance(self.roles, str):
            from ..conf import app_settings

            return frozenset(getattr(app_settings, self.roles)) & EVERY_ROLE
        return frozenset(self.roles)


#: Which records of each kind each role sees. Words, for the docs and the matrix test:
#: all; none; own (a councillor's or candidate's: incidents aimed at them, reported by them, or aimed at a
#: household member or supporter of theirs who agreed to share them, the cases holding them, their support
#: records; their own protected-person record and those linked to them); candidates (electoral services:
#: incidents aimed at candidates, or reported by them, and the cases holding them; the records of people
#: standing in an election and of those linked to them); council_action (cases an assessment routed to council
#: action, and their incidents);
#: referred (cases referred to the police and, within them, only the referred incidents); granted (register
#: entries granted to the user or one of their groups); task_role (open tasks of the user's role in cases
#: they see, and tasks they claimed); by_kind (bundles of the kinds the role may request, for scopes they see);
#: not_register (every notification but the register's and the legal holds'); not_holds (every notification but
#: the legal holds'); sent_only (every notification, without its text, case or address).
VISIBILITY: dict[str, dict[str, str]] = {
    "incident": {C: "own", CAND: "own", MS: "all", HS: "all", L: "council_action", MO: "all", ES: "candidates",
                 P: "referred"},
    "case": {C: "own", CAND: "own", MS: "all", HS: "all", L: "council_action", MO: "all", ES: "candidates",
             P: "referred"},
    "evidence": {C: "own", CAND: "own", MS: "all", HS: "all", L: "council_action", MO: "all", ES: "candidates"},
    "task": {MS: "task_role", HS: "task_role", L: "task_role", MO: "task_role", P: "task_role"},
    "referral": {MS: "all", HS: "all", L: "council_action", MO: "all", P: "referred"},
    "support": {C: "own", CAND: "own", MS: "all", HS: "all", MO: "all"},
    "protected_person": {C: "own", CAND: "own", MS: "all", HS: "all", MO: "all", ES: "candidates"},
    "election_period": {role: "all" for role in Role.values},
    "subject": {MS: "all", HS: "all", MO: "all"},
    "meeting": {MS: "all", HS: "all", MO: "all"},
    "bundle": {MS: "by_kind", HS: "by_kind", L: "by_kind", MO: "by_kind", P: "by_kind", IG: "by_kind"},
    "register_entry": {C: "granted", MS: "granted", HS: "all", L: "granted", MO: "all", P: "granted",
                       IG: "granted"},
    "hold": {L: "council_action", MO: "all", IG: "all"},
    "notification": {MS: "not_register", HS: "not_holds", MO: "all", IG: "sent_only"},
    "webhook": {MO: "all", IG: "all"},
}


def _support(name: str, writers: frozenset[str]) -> dict[str, Access]:
    readers = CASE_OFFICERS | SELF_REPORTERS
    return {
        f"{name}.list": Access(readers),
        f"{name}.create": Access(writers, refused="cannot_record_support"),
        f"{name}.retrieve": Access(readers, resource="support"),
    }


#: ``"<view access name>.<action>"`` -> its rule. The view's access name is its router basename, or its
#: ``access_name``; the action is the viewset action, or the HTTP method of a plain view.
ACCESS: dict[str, Access] = {
    # Incidents and their evidence
    "incident.list": Access(CASE_READERS),
    "incident.create": Access(REPORTERS, refused="cannot_report", errors=(CONFLICT,),
                              note="a councillor or candidate for themselves, their household and supporters; "
                                   "case officers for anyone; electoral services for people standing in an "
                                   "election"),
    "incident.retrieve": Access(CASE_READERS, resource="incident"),
    "incident.timeline": Access(CASE_READERS, resource="incident",
                                note="councillors, candidates and electoral services see the steps shared with "
                                     "the people harmed; the police only steps about what they see"),
    "incident.evidence": Access(CASE_READERS - {P}, resource="incident"),
    "incident.evidence_upload": Access(CASE_READERS - {P}, resource="incident", refused="cannot_add_evidence",
                                       errors=(TOO_LARGE,)),
    "incident.evidence_detail": Access(CASE_READERS - {P}, resource="evidence"),
    "incident.evidence_download": Access(CASE_READERS - {P}, resource="evidence"),
    "incident.unlink_subject": Access(CORRECTORS, resource="incident", refused="correction_not_permitted",
                                      errors=(NOT_FOUND, CONFLICT), note="with a reason"),
    # Cases and referrals
    "case.list": Access(CASE_READERS),
    "case.retrieve": Access(CASE_READERS, resource="case"),
    "case.split": Access(CORRECTORS, resource="case", refused="correction_not_permitted", errors=(CONFLICT,),
                         note="open cases, with a reason"),
    "case.court_claim": Access(frozenset({L, MO}), resource="case", errors=(CONFLICT,),
                               note="the case's injunction (409 `no_injunction` without one)"),
    "case.court_claim_update": Access(frozenset({L, MO}), resource="case", errors=(CONFLICT,)),
    "case.court_documents": Access(frozenset({L, MO}), resource="case"),
    "case.court_document_add": Access(frozenset({L, MO}), resource="case", errors=(CONFLICT, TOO_LARGE),
                                      note="a PDF, or generated from a template"),
    "referral.list": Access(CASE_OFFICERS | {L, P}),
    "referral.retrieve": Access(CASE_OFFICERS | {L, P}, resource="referral"),
    "referral.update_status": Access(frozenset({P, MS}), resource="referral",
                                     note="the police contact, or members services on their behalf"),
    # Tasks
    "task.list": Access(TASK_ROLES),
    "task.retrieve": Access(TASK_ROLES, resource="task"),
    "task.claim": Access(TASK_ROLES, resource="task", errors=(CONFLICT,)),
    "task.release": Access(TASK_ROLES, resource="task", errors=(CONFLICT,)),
    "task.complete": Access(TASK_ROLES, resource="task", errors=(CONFLICT,)),
    "task.overdue": Access(TASK_ROLES),
    # Support
    **_support("support-advice", frozenset({MS, HS})),
    **_support("support-home-security", frozenset({HS})),
    **_support("support-priority-flag", frozenset({HS, MS})),
    "support-priority-flag.review": Access(frozenset({HS, MS}), resource="support",
                                           refused="cannot_record_support"),
    **_support("support-employee-assistance", frozenset({MS, HS})),
    **_support("support-induction-training", frozenset({MS, HS})),
    # The people the process protects, and election periods
    "protected-person.list": Access(PEOPLE_READERS),
    "protected-person.create": Access(PEOPLE_READERS, refused="cannot_record_person", errors=(CONFLICT,),
                                      note="councillors and candidates: their household and supporters; electoral "
                                           "services: candidates and the people linked to them"),
    "protected-person.retrieve": Access(PEOPLE_READERS, resource="protected_person"),
    "protected-person.partial_update": Access(CASE_OFFICERS | {ES}, resource="protected_person",
                                              refused="cannot_record_person"),
    "protected-person.candidacies": Access(ELECTION_WRITERS, resource="protected_person",
                                           refused="cannot_record_person", errors=(CONFLICT,)),
    "protected-person.elected": Access(ELECTION_WRITERS, resource="protected_person",
                                       refused="cannot_record_person", errors=(CONFLICT,),
                                       note="a candidate, linked to their councillor account"),
    "election-period.list": Access(EVERY_ROLE),
    "election-period.create": Access(ELECTION_WRITERS, refused="cannot_record_election"),
    "election-period.retrieve": Access(EVERY_ROLE, resource="election_period"),
    "election-period.partial_update": Access(ELECTION_WRITERS, resource="election_period",
                                             refused="cannot_record_election"),
    # Subjects, reports, meetings
    "subject.list": Access(CASE_OFFICERS),
    "subject.create": Access(CASE_OFFICERS),
    "subject.retrieve": Access(CASE_OFFICERS, resource="subject"),
    "subject.aliases": Access(CASE_OFFICERS, resource="subject"),
    "subject.handles": Access(CASE_OFFICERS, resource="subject"),
    "subject.conduct": Access(CASE_OFFICERS, resource="subject"),
    "subject.suggestions": Access(CASE_OFFICERS, errors=(NOT_FOUND,)),
    "report.list": Access(CASE_OFFICERS),
    "report.trends": Access(CASE_OFFICERS),
    "report.elections": Access(CASE_OFFICERS | {ES}, note="counts only"),
    "report.tasks": Access(CASE_OFFICERS),
    "report.referrals": Access(CASE_OFFICERS),
    "report.register_reviews": Access(CASE_OFFICERS, note="only entries the caller may see"),
    "meeting.list": Access(CASE_OFFICERS),
    "meeting.create": Access(frozenset({MO, MS}), refused="cannot_record_meeting"),
    "meeting.retrieve": Access(CASE_OFFICERS, resource="meeting"),
    "meeting.brief": Access(CASE_OFFICERS),
    "meeting.meeting_brief": Access(CASE_OFFICERS, resource="meeting"),
    # Bundles
    "bundle.list": Access(BUNDLE_ROLES),
    "bundle.create": Access(BUNDLE_ROLES, errors=(NOT_FOUND, UNAVAILABLE),
                            note="injunction: legal, monitoring officer; police pack: case officers, police "
                                 "liaison; liaison pack: monitoring officer, members services; subject access: "
                                 "information governance"),
    "bundle.retrieve": Access(BUNDLE_ROLES, resource="bundle"),
    "bundle.retry": Access(BUNDLE_ROLES, resource="bundle", errors=(CONFLICT, UNAVAILABLE)),
    "bundle.download": Access(BUNDLE_ROLES, resource="bundle", errors=(CONFLICT,)),
    "bundle.supplement": Access(frozenset({L, MO}), resource="bundle", errors=(CONFLICT, UNAVAILABLE),
                                note="a ready injunction bundle for one case: what was added since it was served"),
    # Reference data
    "advice-templates.get": Access(CASE_OFFICERS),
    "decision-table.get": Access(CASE_OFFICERS | {L}, errors=(CONFLICT,)),
    "police-contacts.get": Access(EVERY_ROLE),
    # The register
    "register-check.post": Access("REGISTER_CHECK_ROLES", refused="register_check_not_permitted",
                                  message=gettext_lazy("Your role does not use the register check."),
                                  errors=(RATE_LIMITED,), logs_refusal=True),
    "register-entries.get": Access(REGISTER_READERS, refused="register_not_permitted",
                                   note="entries granted to the caller; every entry for health and safety "
                                        "and the monitoring officer"),
    "register-entries.post": Access(frozenset({HS}), refused="register_propose_not_permitted",
                                    errors=(CONFLICT,)),
    "register-entry.get": Access(REGISTER_READERS, resource="register_entry", refused="register_not_permitted"),
    "register-entry.patch": Access(REGISTER_OFFICERS, resource="register_entry", refused="register_not_permitted",
                                   errors=(CONFLICT,)),
    "register-entry-approve.post": Access(REGISTER_OFFICERS, resource="register_entry",
                                          refused="register_not_permitted", errors=(CONFLICT,),
                                          note="not by the entry's proposer"),
    "register-entry-notification.post": Access(REGISTER_OFFICERS, resource="register_entry",
                                               refused="register_not_permitted", errors=(CONFLICT,)),
    "register-entry-review.post": Access(REGISTER_OFFICERS, resource="register_entry",
                                         refused="register_not_permitted", errors=(CONFLICT,)),
    "register-entry-grants.get": Access(REGISTER_OFFICERS, resource="register_entry",
                                        refused="register_grant_not_permitted"),
    "register-entry-grants.post": Access(REGISTER_OFFICERS, resource="register_entry",
                                         refused="register_grant_not_permitted", errors=(CONFLICT,)),
    "register-entry-grant.delete": Access(REGISTER_OFFICERS, resource="register_entry",
                                          refused="register_grant_not_permitted"),
    # The access log
    "audit.get": Access(frozenset({IG, MO}), refused="audit_not_permitted", discloses=frozenset({IG, MO})),
    # Retention: legal holds, the schedule, the disposal log
    "holds.get": Access(HOLD_READERS, refused="holds_not_permitted", discloses=frozenset({IG, MO}),
                        note="legal: holds on the records it sees"),
    "holds.post": Access(HOLD_PLACERS, refused="hold_not_permitted", errors=(NOT_FOUND, CONFLICT),
                         note="on a case, subject or register entry the caller sees"),
    "hold.get": Access(HOLD_READERS, resource="hold", refused="holds_not_permitted", discloses=frozenset({IG, MO})),
    "hold-review.post": Access(HOLD_PLACERS, resource="hold", refused="hold_not_permitted", errors=(CONFLICT,),
                               discloses=frozenset({IG, MO})),
    "hold-release.post": Access(HOLD_PLACERS, resource="hold", refused="hold_not_permitted", errors=(CONFLICT,),
                                discloses=frozenset({IG, MO})),
    "retention-schedule.get": Access(frozenset({IG, MO}), refused="retention_not_permitted"),
    "retention-disposals.get": Access(frozenset({IG, MO}), refused="retention_not_permitted"),
    # Notifications and webhooks
    "notification.list": Access(NOTIFICATION_READERS, refused="notifications_not_permitted",
                                note="information governance: without the text, case or address; members "
                                     "services: not the register's; only the monitoring officer: the legal holds'"),
    "notification.retrieve": Access(NOTIFICATION_READERS, resource="notification",
                                    refused="notifications_not_permitted"),
    "webhook.list": Access(WEBHOOK_MANAGERS, refused="webhooks_not_permitted"),
    "webhook.create": Access(WEBHOOK_MANAGERS, refused="webhooks_not_permitted",
                             note="the subscription gets what its role may see"),
    "webhook.retrieve": Access(WEBHOOK_MANAGERS, resource="webhook", refused="webhooks_not_permitted"),
    "webhook.partial_update": Access(WEBHOOK_MANAGERS, resource="webhook", refused="webhooks_not_permitted"),
    "webhook.destroy": Access(WEBHOOK_MANAGERS, resource="webhook", refused="webhooks_not_permitted"),
    "webhook.deliveries": Access(WEBHOOK_MANAGERS, resource="webhook", refused="webhooks_not_permitted"),
    "webhook.replay": Access(WEBHOOK_MANAGERS, resource="webhook", refused="webhooks_not_permitted",
                             errors=(NOT_FOUND,)),
    "webhook.ping": Access(WEBHOOK_MANAGERS, resource="webhook", refused="webhooks_not_permitted"),
}


def access_for(key: str) -> Access:
    from django.core.exceptions import ImproperlyConfigured

    try:
        return ACCESS[key]
    except KeyError:
        raise ImproperlyConfigured(
            f"safety_workflow: the API operation {key!r} has no row in api.access.ACCESS") from None


# Enumerating the operations (for the docs, the schema check and the matrix test) ----------------------------
@dataclass(frozen=True)
class Operation:
    key: str
    method: str
    path: str  # relative to where the host mounts the API, e.g. "incidents/{pk}/evidence/"
    view_class: Any
    initkwargs: dict

    @property
    def access(self) -> Access:
        return access_for(self.key)


def operation_key(view: Any, method: str) -> str:
    """``"<access name>.<action>"`` for a view instance (as DRF or drf-spectacular set it up)."""
    name = getattr(view, "access_name", None) or getattr(view, "basename", None)
    action = getattr(view, "action", None) or ("get" if method.upper() == "HEAD" else method.lower())
    return f"{name}.{action}"


def operations() -> list[Operation]:
    """Every operation the package's URLconf serves, in URL order."""
    from rest_framework.schemas.generators import EndpointEnumerator

    from . import urls

    found = []
    for path, method, callback in EndpointEnumerator(patterns=urls.urlpatterns).get_api_endpoints():
        cls = callback.cls
        initkwargs = dict(getattr(callback, "initkwargs", {}) or {})
        view = cls(**initkwargs)
        actions = getattr(callback, "actions", None)
        if actions:
            view.action = actions.get(method.lower())
        found.append(Operation(operation_key(view, method), method, path.lstrip("/"), cls, initkwargs))
    return found


ROLE_COLUMNS = [C, CAND, MS, HS, L, MO, ES, P, F, IG]
ROLE_ABBREVIATIONS = {C: "Cllr", CAND: "Cand", MS: "MS", HS: "H&S", L: "Legal", MO: "MO", ES: "ES", P: "Police",
                      F: "Front", IG: "IG"}


def render_markdown() -> str:
    """The tables docs/api.md shows: who may call what, and which records each role sees."""
    header = "| operation | " + " | ".join(ROLE_ABBREVIATIONS[r] for r in ROLE_COLUMNS) + " | refused with |"
    lines = [header, "| --- | " + " | ".join(":-:" for _ in ROLE_COLUMNS) + " | --- |"]
    for op in operations():
        access = op.access
        allowed = access.allowed_roles()
        marks = []
        for role in ROLE_COLUMNS:
            if role not in allowed:
                marks.append("")
            elif access.resource:
                marks.append(VISIBILITY[access.resource].get(role, "none").replace("_", " "))
            else:
                marks.append("yes")
        refused = f"403 `{access.refused}`"
        if isinstance(access.roles, str):
            refused += f" (roles: `{access.roles}`)"
        if access.note:
            refused += f"; {access.note}"
        lines.append(f"| `{op.method} {op.path}` | " + " | ".join(marks) + f" | {refused} |")
    lines += ["", "| records | " + " | ".join(ROLE_ABBREVIATIONS[r] for r in ROLE_COLUMNS) + " |",
              "| --- | " + " | ".join(":-:" for _ in ROLE_COLUMNS) + " |"]
    for resource, rules in VISIBILITY.items():
        lines.append(f"| {resource.replace('_', ' ')} | "
                     + " | ".join(rules.get(r, "none").replace("_", " ") for r in ROLE_COLUMNS) + " |")
    return "\n".join(lines) + "\n"
