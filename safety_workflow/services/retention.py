"""Disposal under the retention schedule: what has expired is deleted or anonymised, files included.

:func:`retention_dispose` is the one entry point (the disposal command runs it; a host may run it as a
background task). It works kind by kind, in batches of ``DISPOSAL_BATCH_SIZE``, one transaction per
batch; each record disposed of gets a row in the disposal log (:class:`DisposalRecord`, no personal
data) in the same transaction. Files are queued in :class:`PendingFileDeletion` in that transaction
and deleted from storage after it commits; a file storage refused to delete is retried by the next
run. Nothing under a legal hold is touched. Running it twice changes nothing the second time: what
was deleted is gone, and what was anonymised is marked so.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ..adapter import get_adapter
from ..conf import app_settings
from ..i18n import notice_text
from ..models import (
    AccessLogChain,
    AccessLogEntry,
    AdviceGiven,
    Assessment,
    Bundle,
    Case,
    CouncilAction,
    CourseOfConductFlag,
    CourtDocument,
    DisposalRecord,
    EmployeeAssistanceOffer,
    EscalationSignal,
    EvidenceFile,
    HomeSecurityAssessment,
    IdempotencyRecord,
    Incident,
    InductionTraining,
    LegalHold,
    LiaisonMeeting,
    Notification,
    PendingFileDeletion,
    PoliceReferral,
    PriorityAddressFlag,
    ProtectedPerson,
    RegisterCheckHit,
    RegisterEntry,
    Subject,
    TimelineEntry,
    WebhookDelivery,
)
from ..notifications import notify
from ..retention import CASE_CLOSED, KINDS, Rule, schedule
from ..roles import Role
from ..selectors.retention import held_case_ids, held_entry_ids, held_subject_ids
from .audit import CHAIN_ID, access_log_record, checked_name_normalised, timeline_record

logger = logging.getLogger(__name__)
Action = DisposalRecord.Action
#: What the check's log row keeps once what was typed into it is erased.
CHECK_DATA_KEPT = ("meeting_date", "candidates", "too_many_candidates")


@dataclass
class DisposalReport:
    """What a run did (or, for a dry run, would do)."""

    run: uuid.UUID
    now: dt.datetime
    dry_run: bool
    #: kind -> references disposed of (or due, for a dry run)
    disposed: dict[str, list[str]] = field(default_factory=dict)
    #: kind -> how many expired records a legal hold kept
    held: dict[str, int] = field(default_factory=dict)
    files_deleted: int = 0
    files_failed: int = 0
    holds_due_for_review: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(len(refs) for refs in self.disposed.values())

    def as_dict(self) -> dict[str, Any]:
        return {"run": str(self.run), "at": self.now.isoformat(), "dry_run": self.dry_run,
                "disposed": {k: len(v) for k, v in self.disposed.items()}, "held": self.held,
                "files_deleted": self.files_deleted, "files_failed": self.files_failed,
                "holds_due_for_review": len(self.holds_due_for_review)}


class _Run:
    def __init__(self, *, now: dt.datetime, dry_run: bool, batch_size: int, rules: dict[str, Rule]) -> None:
        self.now, self.dry_run, self.batch_size, self.rules = now, dry_run, batch_size, rules
        self.report = DisposalReport(run=uuid.uuid4(), now=now, dry_run=dry_run)
        self.records: list[DisposalRecord] = []

    # Bookkeeping ---------------------------------------------------------------------------------
    def record(self, kind: str, reference: Any, action: str, *, rule_kind: str | None = None, files: int = 0,
               subject: Any = None) -> None:
        self.report.disposed.setdefault(kind, []).append(str(reference))
        if self.dry_run:
            return
        self.records.append(DisposalRecord(
            run=self.report.run, kind=kind, reference=str(reference)[:100], action=action,
            rule=self.rules[rule_kind or kind].label[:200], disposed_at=self.now, files=files,
            subject_ref=subject,
        ))

    def flush(self) -> None:
        DisposalRecord.objects.bulk_create(self.records)
        self.records = []

    def queue_file(self, field_name: str, name: str) -> int:
        if not name:
            return 0
        PendingFileDeletion.objects.create(field=field_name, name=name)
        return 1

    def batches(self, queryset: QuerySet, apply: Callable[[list[Any]], None]) -> None:
        """Run ``apply`` over the primary keys of ``queryset`` (ordered), a batch per transaction.

        A record still due after its batch (changed meanwhile, or held since) is skipped, not retried.
        """
        if self.dry_run:
            pks = list(queryset.values_list("pk", flat=True))
            for start in range(0, len(pks), self.batch_size):
                apply(pks[start:start + self.batch_size])
            return
        stuck: set[Any] = set()
        while True:
            pks = list(queryset.exclude(pk__in=stuck).values_list("pk", flat=True)[: self.batch_size])
            if not pks:
                return
            with transaction.atomic():
                apply(pks)
                self.flush()
                transaction.on_commit(self._delete_files, robust=True)
            stuck |= set(queryset.filter(pk__in=pks).values_list("pk", flat=True))

    def _delete_files(self) -> None:
        deleted, failed = files_delete_pending()
        self.report.files_deleted += deleted
        self.report.files_failed = failed

    def note_held(self, kind: str, expired: QuerySet, due: QuerySet) -> None:
        kept = expired.count() - due.count()
        if kept:
            self.report.held[kind] = self.report.held.get(kind, 0) + kept


def _cutoff(rule: Rule, now: dt.datetime) -> dt.datetime:
    return rule.cutoff(now)


def _storage(field_name: str) -> Any:
    model = EvidenceFile if field_name == "evidence" else Bundle
    return model._meta.get_field("file").storage


def files_delete_pending(limit: int = 500) -> tuple[int, int]:
    """Delete from storage the files of records already disposed of. Returns (deleted, still pending)."""
    deleted = 0
    for pending in list(PendingFileDeletion.objects.order_by("id")[:limit]):
        try:
            _storage(pending.field).delete(pending.name)
        except Exception:  # storage unavailable: kept for the next run
            logger.exception("safety_workflow: could not delete %s from storage", pending.name)
            PendingFileDeletion.objects.filter(pk=pending.pk).update(attempts=pending.attempts + 1)
            continue
        PendingFileDeletion.objects.filter(pk=pending.pk).delete()
        deleted += 1
    return deleted, PendingFileDeletion.objects.count()


# Cases ------------------------------------------------------------------------------------------
def _closed_before(cutoff: dt.datetime) -> Q:
    """Closed cases whose period has run; merged cases follow the case they were merged into."""
    return Q(state=Case.State.CLOSED, closed_at__lte=cutoff)


def _cases_due(run: _Run) -> tuple[QuerySet, QuerySet]:
    cutoff = _cutoff(run.rules["case"], run.now)
    # An incident a register entry still rests on keeps its case until the entry is erased.
    relied_on = Incident.objects.filter(case=OuterRef("pk"), register_entries__isnull=False)
    expired = Case.objects.filter(_closed_before(cutoff)).filter(~Exists(relied_on))
    due = expired.exclude(pk__in=held_case_ids()).order_by("closed_at", "pk")
    return expired, due


def _with_merged(case_ids: list[Any]) -> list[Any]:
    ids, frontier = list(case_ids), list(case_ids)
    while frontier:
        frontier = list(Case.objects.filter(merged_into__in=frontier).exclude(pk__in=ids).values_list("pk", flat=True))
        ids += frontier
    return ids


def _dispose_bundles(run: _Run, bundles: Iterable[Bundle], *, rule_kind: str = "bundle") -> None:
    for bundle in bundles:
        files = run.queue_file("bundle", bundle.file.name) if bundle.file else 0
        run.record("bundle", bundle.pk, Action.DELETED, rule_kind=rule_kind, files=files, subject=bundle.subject_id)
    Bundle.objects.filter(pk__in=[b.pk for b in bundles]).delete()


def _dispose_evidence(run: _Run, items: Iterable[EvidenceFile], *, rule_kind: str = "evidence") -> None:
    items = list(items)
    for item in items:
        files = run.queue_file("evidence", item.file.name)
        run.record("evidence", item.pk, Action.DELETED, rule_kind=rule_kind, files=files,
                   subject=item.incident.subject_id)
    EvidenceFile.objects.filter(pk__in=[i.pk for i in items]).delete()


def _support_of_cases(case_ids: list[Any]) -> list[tuple[str, QuerySet]]:
    return [
        ("advice", AdviceGiven.objects.filter(case__in=case_ids)),
        ("home_security", HomeSecurityAssessment.objects.filter(case__in=case_ids)),
        ("priority_flag", PriorityAddressFlag.objects.filter(case__in=case_ids, active=False)),
        ("employee_assistance", EmployeeAssistanceOffer.objects.filter(case__in=case_ids)),
    ]


def _dispose_cases(run: _Run, pks: list[Any]) -> None:
    cases = list(Case.objects.select_for_update().filter(pk__in=pks).exclude(pk__in=held_case_ids()))
    if run.dry_run:
        for case in Case.objects.filter(pk__in=_with_merged(pks)).order_by("pk"):
            run.record("case", case.reference, Action.DELETED, subject=case.subject_id)
        return
    ids = _with_merged([c.pk for c in cases])
    incidents = list(Incident.objects.filter(case__in=ids).select_related("subject"))
    _dispose_evidence(run, EvidenceFile.objects.filter(incident__in=incidents).select_related("incident"),
                      rule_kind="case")
    CouncilAction.objects.filter(case__in=ids).delete()
    _dispose_bundles(run, list(Bundle.objects.filter(case__in=ids)), rule_kind="case")
    # The court documents the legal team added to the case's injunction bundles go with the case.
    documents = list(CourtDocument.objects.filter(case__in=ids))
    for document in documents:
        files = run.queue_file("bundle", document.file.name) if document.file else 0
        run.record("bundle", f"court_document:{document.pk}", Action.DELETED, rule_kind="case", files=files)
    CourtDocument.objects.filter(pk__in=[d.pk for d in documents]).delete()
    for label, records in _support_of_cases(ids):
        for pk in records.values_list("pk", flat=True):
            run.record("support", f"{label}:{pk}", Action.DELETED, rule_kind="case")
        records.delete()
    # A priority address flag still in force outlives its case (it is disposed of once removed).
    PriorityAddressFlag.objects.filter(case__in=ids, active=True).update(case=None)
    TimelineEntry.objects.filter(case__in=ids).delete()
    Assessment.objects.filter(case__in=ids).delete()
    PoliceReferral.objects.filter(case__in=ids).delete()
    CourseOfConductFlag.objects.filter(case__in=ids).delete()
    EscalationSignal.objects.filter(case__in=ids).delete()
    LegalHold.objects.filter(case__in=ids, state=LegalHold.State.RELEASED).delete()
    for incident in incidents:
        run.record("case", incident.reference, Action.DELETED, subject=incident.subject_id)
    Incident.objects.filter(pk__in=[i.pk for i in incidents]).delete()
    for case in Case.objects.filter(pk__in=ids).order_by("pk"):
        run.record("case", case.reference, Action.DELETED, subject=case.subject_id)
    Case.objects.filter(pk__in=ids).delete()  # the viewflow process, its tasks and due times go with it


# Kinds on their own period ----------------------------------------------------------------------
def _evidence_due(run: _Run) -> tuple[QuerySet, QuerySet]:
    cutoff = _cutoff(run.rules["evidence"], run.now)
    expired = EvidenceFile.objects.filter(Q(incident__case__state=Case.State.CLOSED,
                                            incident__case__closed_at__lte=cutoff))
    return expired, expired.exclude(incident__case__in=held_case_ids()).order_by("uploaded_at", "pk")


def _dispose_evidence_batch(run: _Run, pks: list[Any]) -> None:
    items = list(EvidenceFile.objects.select_related("incident__case").filter(pk__in=pks)
                 .exclude(incident__case__in=held_case_ids()))
    if not run.dry_run:
        for item in items:
            timeline_record(case=item.incident.case, incident=item.incident, action="evidence_disposed",
                            summary=f"Evidence file {item.pk} (SHA-256 {item.sha256[:12]}...) deleted at the "
                                    f"end of its retention period.",
                            data={"evidence": str(item.pk), "sha256": item.sha256, "run": str(run.report.run)})
        _dispose_evidence(run, items)
    else:
        for item in items:
            run.record("evidence", item.pk, Action.DELETED)


def _trigger_filter(rule: Rule, now: dt.datetime, own_date: str, *, case_field: str = "case") -> Q:
    """Records past their period, counted from their own date or (CASE_CLOSED) their case's closure;
    never while their case is open."""
    cutoff = _cutoff(rule, now)
    if rule.after == CASE_CLOSED:
        expired = (Q(**{f"{case_field}__state": Case.State.CLOSED, f"{case_field}__closed_at__lte": cutoff})
                   | Q(**{f"{case_field}__isnull": True, f"{own_date}__lte": cutoff}))
    else:
        expired = Q(**{f"{own_date}__lte": cutoff})
    return expired & ~Q(**{f"{case_field}__state": Case.State.OPEN})


def _bundles_due(run: _Run) -> tuple[QuerySet, QuerySet]:
    relied_on = CouncilAction.objects.filter(bundle=OuterRef("pk"))
    expired = (Bundle.objects.filter(_trigger_filter(run.rules["bundle"], run.now, "requested_at"))
               .exclude(status__in=(Bundle.Status.QUEUED, Bundle.Status.RUNNING)).filter(~Exists(relied_on)))
    due = expired.exclude(case__in=held_case_ids()).exclude(subject__in=held_subject_ids())
    return expired, due.order_by("requested_at", "pk")


def _dispose_bundle_batch(run: _Run, pks: list[Any]) -> None:
    bundles = list(Bundle.objects.filter(pk__in=pks))
    if run.dry_run:
        for bundle in bundles:
            run.record("bundle", bundle.pk, Action.DELETED)
        return
    _dispose_bundles(run, bundles)


SUPPORT_MODELS: tuple[tuple[str, Any, str], ...] = (
    ("advice", AdviceGiven, "given_at"),
    ("home_security", HomeSecurityAssessment, "recorded_at"),
    ("priority_flag", PriorityAddressFlag, "removed_on"),
    ("employee_assistance", EmployeeAssistanceOffer, "offered_on"),
    ("induction", InductionTraining, "completed_on"),
)


def _as_field_value(model: Any, name: str, moment: dt.datetime) -> Any:
    field_obj = model._meta.get_field(name)
    return timezone.localdate(moment) if field_obj.get_internal_type() == "DateField" else moment


def _support_due(run: _Run, model: Any, date_field: str) -> tuple[QuerySet, QuerySet]:
    rule = run.rules["support"]
    cutoff = _as_field_value(model, date_field, _cutoff(rule, run.now))
    has_case = any(f.name == "case" for f in model._meta.fields)
    if has_case and rule.after == CASE_CLOSED:
        case_cutoff = _cutoff(rule, run.now)
        expired = model.objects.filter(Q(case__state=Case.State.CLOSED, case__closed_at__lte=case_cutoff)
                                       | Q(case__isnull=True, **{f"{date_field}__lte": cutoff}))
    else:
        expired = model.objects.filter(**{f"{date_field}__lte": cutoff})
    if has_case:
        expired = expired.exclude(case__state=Case.State.OPEN)
    if model is PriorityAddressFlag:
        expired = expired.filter(active=False)  # never while the flag is in force
    due = expired.exclude(case__in=held_case_ids()) if has_case else expired
    return expired, due.order_by(date_field, "pk")


def _dispose_support_batch(run: _Run, label: str, model: Any, pks: list[Any]) -> None:
    for pk in pks:
        run.record("support", f"{label}:{pk}", Action.DELETED)
    if not run.dry_run:
        model.objects.filter(pk__in=pks).delete()


def _entries_due(run: _Run) -> tuple[QuerySet, QuerySet]:
    today = timezone.localdate(run.now)
    expired = RegisterEntry.objects.filter(state__in=RegisterEntry.RETAINED, erase_after__lte=today)
    return expired, expired.exclude(pk__in=held_entry_ids()).order_by("erase_after", "pk")


def _dispose_entries(run: _Run, pks: list[Any]) -> None:
    from ..errors import Conflict
    from ..flows import RegisterFlow
    from .register import _open_task

    for entry in RegisterEntry.objects.filter(pk__in=pks).exclude(pk__in=held_entry_ids()).order_by("erase_after"):
        if run.dry_run:
            run.record("register_entry", entry.reference, Action.ANONYMISED)
            continue
        subject = entry.subject_id
        try:
            RegisterFlow.retained.run(_open_task(entry, "retained"))
        except Conflict:
            continue  # changed since the query
        LegalHold.objects.filter(register_entry=entry, state=LegalHold.State.RELEASED).delete()
        run.record("register_entry", entry.reference, Action.ANONYMISED, subject=subject)


def _held_names() -> list[str]:
    """The names (normalised as a check reads them) of held subjects: checks of them are kept."""
    names = set()
    for subject in Subject.objects.filter(pk__in=held_subject_ids()).prefetch_related("aliases"):
        for name in [subject.full_name, *(a.name for a in subject.aliases.all())]:
            if normalised := checked_name_normalised(name):
                names.add(normalised)
    return sorted(names)


def _checks_due(run: _Run) -> tuple[QuerySet, QuerySet]:
    cutoff = _cutoff(run.rules["check_query"], run.now)
    expired = AccessLogEntry.objects.filter(action=AccessLogEntry.Action.CHECK, redacted_at__isnull=True,
                                            at__lte=cutoff)
    due = expired.exclude(checked_name__in=_held_names()).exclude(subject_ref__in=held_subject_ids())
    return expired, due.order_by("seq")


def _dispose_check_batch(run: _Run, pks: list[Any]) -> None:
    rows = list(AccessLogEntry.objects.filter(pk__in=pks).only("pk", "reference", "data", "subject_ref"))
    for row in rows:
        run.record("check_query", row.reference or f"access-log:{row.pk}", Action.ANONYMISED,
                   subject=row.subject_ref)
    if run.dry_run:
        return
    for row in rows:
        kept = {k: v for k, v in (row.data or {}).items() if k in CHECK_DATA_KEPT}
        # Only the erasable fields change: the chained ones (and so the chain) stay as they were.
        AccessLogEntry.objects.filter(pk=row.pk).update(object_repr="", checked_name="", purpose="", data=kept,
                                                         redacted_at=run.now)


def _simple(run: _Run, kind: str, queryset: QuerySet, reference: Callable[[Any], str] = str) -> None:
    run.note_held(kind, queryset, queryset)

    def apply(pks: list[Any]) -> None:
        for pk in pks:
            run.record(kind, reference(pk), Action.DELETED)
        if not run.dry_run:
            queryset.model.objects.filter(pk__in=pks).delete()

    run.batches(queryset, apply)


def _subjects_due(run: _Run) -> tuple[QuerySet, QuerySet]:
    cutoff = _cutoff(run.rules["subject"], run.now)
    referenced = (Q(Exists(Incident.objects.filter(subject=OuterRef("pk"))))
                  | Q(Exists(Case.objects.filter(subject=OuterRef("pk"))))
                  | Q(Exists(RegisterEntry.objects.filter(subject=OuterRef("pk"))))
                  | Q(Exists(Bundle.objects.filter(subject=OuterRef("pk"))))
                  | Q(Exists(CourseOfConductFlag.objects.filter(subject=OuterRef("pk"))))
                  | Q(Exists(EscalationSignal.objects.filter(subject=OuterRef("pk")))))
    expired = Subject.objects.filter(created_at__lte=cutoff).exclude(referenced)
    return expired, expired.exclude(pk__in=held_subject_ids()).order_by("created_at", "pk")


def _dispose_subjects(run: _Run, pks: list[Any]) -> None:
    for pk in pks:
        run.record("subject", pk, Action.DELETED)
    if run.dry_run:
        return
    LegalHold.objects.filter(subject__in=pks, state=LegalHold.State.RELEASED).delete()
    Subject.objects.filter(pk__in=pks).delete()
    # The disposal log no longer needs to point at the person: their record is gone.
    DisposalRecord.objects.filter(subject_ref__in=pks).update(subject_ref=None)


def _protected_people_due(run: _Run) -> tuple[QuerySet, QuerySet]:
    """Protected people no record refers to any more (their incidents went with their cases, their support
    records on their own period), recorded longer ago than the period."""
    cutoff = _cutoff(run.rules["protected_person"], run.now)
    person = OuterRef("pk")
    referenced = (Q(Exists(Incident.objects.filter(protected_person=person)))
                  | Q(Exists(CourseOfConductFlag.objects.filter(protected_person=person)))
                  | Q(Exists(ProtectedPerson.objects.filter(linked_to=person))))
    for _label, model, _date in SUPPORT_MODELS:
        referenced |= Q(Exists(model.objects.filter(protected_person=person)))
    expired = ProtectedPerson.objects.filter(created_at__lte=cutoff).exclude(referenced)
    return expired, expired.order_by("created_at", "pk")


def _dispose_protected_people(run: _Run, pks: list[Any]) -> None:
    for pk in pks:
        run.record("protected_person", pk, Action.DELETED)
    if not run.dry_run:
        ProtectedPerson.objects.filter(pk__in=pks).delete()  # their candidacies go with them


def _dispose_access_log(run: _Run) -> None:
    """Delete expired rows from the start of the chain and re-anchor it on the first row kept.

    Only a run of rows from the oldest can go (the chain stays whole from its anchor): a row under a
    legal hold keeps itself and every row after it until the hold is released.
    """
    rule = run.rules["access_log"]
    cutoff = _cutoff(rule, run.now)
    held_subjects = list(Subject.objects.filter(pk__in=held_subject_ids()).values_list("pk", flat=True))
    held_objects = [("case", str(pk)) for pk in
                    Case.objects.filter(pk__in=held_case_ids()).values_list("pk", flat=True)]
    held_objects += [("register_entry", str(pk)) for pk in
                     RegisterEntry.objects.filter(pk__in=held_entry_ids()).values_list("pk", flat=True)]
    held = Q(subject_ref__in=held_subjects)
    for object_type, object_id in held_objects:
        held |= Q(object_type=object_type, object_id=object_id)
    first_kept = (AccessLogEntry.objects.filter(seq__isnull=False).filter(Q(at__gt=cutoff) | held)
                  .order_by("seq").values_list("seq", flat=True).first())
    expired = AccessLogEntry.objects.filter(seq__isnull=False, at__lte=cutoff)
    due = expired if first_kept is None else expired.filter(seq__lt=first_kept)
    run.note_held("access_log", expired, due)
    while True:
        rows = list(due.order_by("seq").values_list("pk", "seq", "row_hash")[: run.batch_size])
        if not rows:
            return
        first, last = rows[0][1], rows[-1][1]
        run.record("access_log", f"rows {first}-{last}" if first != last else f"row {first}", Action.DELETED)
        if run.dry_run:
            return
        with transaction.atomic():
            head = AccessLogChain.objects.select_for_update().get(pk=CHAIN_ID)
            pks = [pk for pk, _, _ in rows]
            RegisterCheckHit.objects.filter(access_log__in=pks).delete()
            AccessLogEntry.objects.filter(pk__in=pks).delete()
            head.anchor_seq, head.anchor_hash = last + 1, rows[-1][2]
            head.save(update_fields=["anchor_seq", "anchor_hash"])
            run.flush()


def _holds_due_for_review(run: _Run) -> None:
    today = timezone.localdate(run.now)
    due = LegalHold.objects.filter(state=LegalHold.State.ACTIVE, review_on__lte=today)
    run.report.holds_due_for_review = [str(pk) for pk in due.values_list("pk", flat=True)]
    if run.dry_run:
        return
    to_tell = list(due.filter(Q(review_notified_on__isnull=True) | Q(review_notified_on__lt=F("review_on"))))
    if not to_tell:
        return
    adapter = get_adapter()
    recipients = {u.pk: u for role in (Role.MONITORING_OFFICER, Role.LEGAL) for u in adapter.users_with_role(role)}
    for hold in to_tell:
        # Identifiers only: the notice says where to look, never whom the hold is about.
        subject, message = notice_text(lambda hold=hold: (
            _("A legal hold is due for review"),
            _("Legal hold %(hold)s was due for review on %(date)s. Sign in to review or release it.")
            % {"hold": hold.pk, "date": date_format(hold.review_on, "j F Y")}))
        notify(event="legal_hold_review_due", recipients=list(recipients.values()),
               subject=subject, message=message,
               context={"legal_hold": str(hold.pk)})
        LegalHold.objects.filter(pk=hold.pk).update(review_notified_on=today)


# The entry point ---------------------------------------------------------------------------------
def retention_dispose(*, now: dt.datetime | None = None, dry_run: bool = False, batch_size: int | None = None,
                      kinds: Iterable[str] | None = None) -> DisposalReport:
    """Dispose of everything whose retention period has ended, except what a legal hold keeps.

    ``now`` defaults to the current time; ``kinds`` limits the run to some kinds of record;
    ``dry_run`` lists what would go and changes nothing. Returns what was done.
    """
    now = now or timezone.now()
    rules = schedule()
    wanted = set(kinds or KINDS)
    unknown = wanted - set(KINDS)
    if unknown:
        raise ValueError(f"Unknown kind(s) of record: {', '.join(sorted(unknown))}.")
    run = _Run(now=now, dry_run=dry_run, batch_size=int(batch_size or app_settings.DISPOSAL_BATCH_SIZE),
               rules=rules)
    if not dry_run:
        run._delete_files()  # left over from a run whose storage failed
    steps: list[tuple[str, Callable[[], None]]] = [
        ("case", lambda: _step(run, "case", _cases_due, _dispose_cases)),
        ("evidence", lambda: _step(run, "evidence", _evidence_due, _dispose_evidence_batch)),
        ("bundle", lambda: _step(run, "bundle", _bundles_due, _dispose_bundle_batch)),
        ("support", lambda: [
            _step(run, "support", lambda r, m=model, f=date_field: _support_due(r, m, f),
                  lambda r, pks, lb=label, m=model: _dispose_support_batch(r, lb, m, pks))
            for label, model, date_field in SUPPORT_MODELS
        ]),
        ("register_entry", lambda: _step(run, "register_entry", _entries_due, _dispose_entries)),
        ("check_query", lambda: _step(run, "check_query", _checks_due, _dispose_check_batch)),
        ("idempotency", lambda: _simple(run, "idempotency", IdempotencyRecord.objects.filter(
            created_at__lte=_cutoff(rules["idempotency"], now)).order_by("pk"))),
        ("liaison_meeting", lambda: _simple(run, "liaison_meeting", LiaisonMeeting.objects.filter(
            held_at__lte=_cutoff(rules["liaison_meeting"], now)).order_by("held_at", "pk"))),
        ("notification", lambda: _simple(run, "notification", Notification.objects.filter(
            created_at__lte=_cutoff(rules["notification"], now)).exclude(case__in=held_case_ids())
            .order_by("created_at", "pk"))),
        ("webhook_delivery", lambda: _simple(run, "webhook_delivery", WebhookDelivery.objects.filter(
            created_at__lte=_cutoff(rules["webhook_delivery"], now)).exclude(case__in=held_case_ids())
            .order_by("created_at", "pk"))),
        ("subject", lambda: _step(run, "subject", _subjects_due, _dispose_subjects)),
        ("protected_person", lambda: _step(run, "protected_person", _protected_people_due,
                                           _dispose_protected_people)),
    ]
    for kind, step in steps:
        if kind in wanted:
            step()
    _holds_due_for_review(run)
    if not dry_run and run.report.total:
        access_log_record(actor=None, action=AccessLogEntry.Action.DISPOSE, object_type="retention",
                          object_id=str(run.report.run), result=str(run.report.total),
                          purpose="Disposal under the retention schedule", data=run.report.as_dict())
    if "access_log" in wanted:
        _dispose_access_log(run)
    if not dry_run:
        run._delete_files()
    return run.report


def _step(run: _Run, kind: str, due: Callable[[_Run], tuple[QuerySet, QuerySet]],
          apply: Callable[[_Run, list[Any]], None]) -> None:
    expired, queryset = due(run)
    run.note_held(kind, expired, queryset)
    run.batches(queryset, lambda pks: apply(run, pks))
