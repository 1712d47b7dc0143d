"""Requesting, retrying, requeueing and downloading bundles. The build is ``bundles.build``, run by a worker."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import IO, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..conf import app_settings
from ..errors import Conflict, InvalidInput, NotFound, SafetyWorkflowError
from ..i18n import document_language, valid_document_language
from ..models import Bundle, Case, PoliceReferral
from ..selectors.bundles import bundle_kinds_for
from ..selectors.cases import case_get, incidents_visible_to
from .audit import access_log_record, timeline_record

MAX_PERIOD_DAYS = 3 * 366


class ExportUnavailable(SafetyWorkflowError):
    """PDF export is switched off (``SAFETY_WORKFLOW["PDF_EXPORT"] = False``) or its libraries are missing."""

    status_code = 503
    code = "pdf_export_off"
    default_message = gettext_lazy("PDF export is not available on this server.")


def _date(scope: dict[str, Any], key: str, errors: dict[str, list[str]]) -> dt.date | None:
    value = scope.get(key)
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        pass
    errors[key] = [_("Give a date as YYYY-MM-DD.")]
    return None


def _check_keys(scope: dict[str, Any], allowed: set[str], required: set[str]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for key in sorted(set(scope) - allowed):
        errors[key] = [_("Not part of this kind of bundle's scope.")]
    for key in sorted(required - set(scope)):
        errors[key] = [_("This field is required.")]
    return errors


def _period(scope: dict[str, Any], start: str, end: str, errors: dict[str, list[str]]) -> tuple[dt.date, dt.date]:
    first, last = _date(scope, start, errors), _date(scope, end, errors)
    if first and last:
        if first > last:
            errors[end] = [_("Must not be before the start of the period.")]
        elif (last - first).days > MAX_PERIOD_DAYS:
            errors[end] = [_("The period may be at most three years.")]
    return first, last  # type: ignore[return-value]


def _uuid(value: Any, key: str, errors: dict[str, list[str]]) -> str | None:
    try:
        return str(uuid.UUID(str(value)))
    except (ValueError, TypeError, AttributeError):
        errors[key] = [_("Not a valid identifier.")]
        return None


def _invalid(errors: dict[str, list[str]]) -> InvalidInput:
    return InvalidInput(_("The scope is not valid for this kind of bundle."), code="invalid_scope",
                        errors={"scope": errors})


def bundle_scope_resolve(*, user: Any, kind: str, scope: Any) -> tuple[dict[str, Any], Case | None, Any]:
    """Check the scope's shape, then that the user may see it. Returns (canonical scope, case, subject id).

    A scope the user cannot see is ``not_found``, exactly as one that does not exist.
    """
    if not isinstance(scope, dict):
        raise _invalid({"non_field_errors": [_("Give the scope as an object.")]})
    errors: dict[str, list[str]] = {}
    if kind in (Bundle.Kind.INJUNCTION, Bundle.Kind.POLICE_REFERRAL) and "case" in scope:
        errors = _check_keys(scope, {"case"}, {"case"})
        case_id = scope.get("case")
        if isinstance(case_id, bool) or not isinstance(case_id, (int, str)) or not str(case_id).isdigit():
            errors["case"] = [_("Give the case's id.")]
        if errors:
            raise _invalid(errors)
        case = case_get(user, int(case_id))
        if kind == Bundle.Kind.POLICE_REFERRAL and not PoliceReferral.objects.filter(case=case).exists():
            raise Conflict(_("This case has not been referred to the police."), code="case_not_referred")
        return {"case": case.pk}, case, case.subject_id
    if kind == Bundle.Kind.INJUNCTION:
        errors = _check_keys(scope, {"subject", "date_from", "date_to"}, {"subject", "date_from", "date_to"})
        subject = _uuid(scope.get("subject"), "subject", errors) if "subject" in scope else None
        first, last = _period(scope, "date_from", "date_to", errors)
        if errors:
            raise _invalid(errors)
        visible = incidents_visible_to(user).filter(subject_id=subject)
        if not visible.exists():
            raise NotFound()
        if not visible.filter(occurred_at__date__gte=first, occurred_at__date__lte=last).exists():
            raise InvalidInput(_("No incidents about this subject fall in the period."), code="empty_scope")
        return {"subject": subject, "date_from": first.isoformat(), "date_to": last.isoformat()}, None, subject
    if kind == Bundle.Kind.POLICE_REFERRAL:
        raise _invalid({"case": [_("This field is required.")]})
    if kind == Bundle.Kind.LIAISON_MEETING:
        errors = _check_keys(scope, {"since", "until"}, {"since", "until"})
        first, last = _period(scope, "since", "until", errors)
        if errors:
            raise _invalid(errors)
        return {"since": first.isoformat(), "until": last.isoformat()}, None, None
    if kind == Bundle.Kind.SUBJECT_ACCESS and "protected_person" in scope:
        from ..models import ProtectedPerson

        errors = _check_keys(scope, {"protected_person"}, {"protected_person"})
        person = _uuid(scope.get("protected_person"), "protected_person", errors)
        if errors:
            raise _invalid(errors)
        if not ProtectedPerson.objects.filter(pk=person).exists():
            raise NotFound()
        return {"protected_person": person}, None, None
    if kind == Bundle.Kind.SUBJECT_ACCESS and "subject" not in scope:
        # Someone who is not a subject (only ever checked, perhaps): answered from the access log.
        from .audit import checked_name_normalised

        errors = _check_keys(scope, {"name", "date_of_birth"}, {"name"})
        name = scope.get("name")
        if "name" in scope and (not isinstance(name, str) or not checked_name_normalised(name)
                                or len(name) > 200):
            errors["name"] = [_("Give the person's name, with a surname.")]
        if "date_of_birth" in scope:
            _date(scope, "date_of_birth", errors)
        if errors:
            raise _invalid(errors)
        canonical = {"name": " ".join(name.split())}
        if scope.get("date_of_birth"):
            canonical["date_of_birth"] = scope["date_of_birth"]
        return canonical, None, None
    if kind == Bundle.Kind.SUBJECT_ACCESS:
        from ..models import Subject

        errors = _check_keys(scope, {"subject"}, {"subject"})
        subject = _uuid(scope.get("subject"), "subject", errors) if "subject" in scope else None
        if errors:
            raise _invalid(errors)
        if not Subject.objects.filter(pk=subject).exists():
            raise NotFound()
        return {"subject": subject}, None, subject
    raise InvalidInput(errors={"kind": [_("Not a kind of bundle.")]})


def bundle_redactions_clean(items: Any) -> list[dict[str, str]]:
    """Validate the redactions asked for: phrases with a reason, or a named preset."""
    from ..bundles.redact import MAX_ITEMS, MAX_LENGTH, MIN_LENGTH, PRESETS, normalise

    if items in (None, ""):
        return []
    if not isinstance(items, list) or len(items) > MAX_ITEMS:
        raise InvalidInput(errors={"redactions": [
            _("Give a list of at most %(count)s redactions.") % {"count": MAX_ITEMS}]},
                           code="invalid_redactions")
    cleaned: list[dict[str, str]] = []
    errors: dict[str, list[str]] = {}
    for n, item in enumerate(items):
        if not isinstance(item, dict):
            errors[str(n)] = [_("Give {\"text\": ..., \"reason\": ...} or {\"preset\": ...}.")]
            continue
        if "preset" in item:
            if set(item) != {"preset"} or item["preset"] not in PRESETS:
                errors[str(n)] = [_("Presets are: %(presets)s.") % {"presets": ", ".join(sorted(PRESETS))}]
            else:
                cleaned.append({"preset": item["preset"]})
            continue
        text = normalise(item.get("text") or "") if isinstance(item.get("text"), str) else ""
        reason = normalise(item.get("reason") or "") if isinstance(item.get("reason", ""), str) else None
        if set(item) - {"text", "reason"}:
            errors[str(n)] = [_("Only \"text\" and \"reason\" are allowed.")]
        elif not MIN_LENGTH <= len(text) <= MAX_LENGTH:
            errors[str(n)] = [_("The text to redact must be %(min)s to %(max)s characters.") % {"min": MIN_LENGTH,
                                                                                          "max": MAX_LENGTH}]
        elif reason is None or len(reason) > 200:
            errors[str(n)] = [_("The reason must be text of at most 200 characters.")]
        elif reason and text.lower() in reason.lower():
            errors[str(n)] = [_("The reason must not repeat the text it redacts.")]
        else:
            cleaned.append({"text": text, "reason": reason or "Redacted at the requester's instruction"})
    if errors:
        raise InvalidInput(_("Some redactions are not valid."), code="invalid_redactions",
                           errors={"redactions": errors})
    return cleaned


def _check_available() -> None:
    if not app_settings.PDF_EXPORT:
        raise ExportUnavailable()


def _queue_build(bundle: Bundle) -> None:
    """Queue this attempt's build once the transaction commits, and remember the task's id (for the requeue job)."""
    from ..background import build_bundle, enqueue_after_commit

    bundle_id, attempt = bundle.pk, bundle.attempts

    def remember(result: Any) -> None:
        Bundle.objects.filter(pk=bundle_id, attempts=attempt).update(task_id=str(result.id)[:64])

    enqueue_after_commit(build_bundle, queue_name=app_settings.BUNDLE_TASK_QUEUE, on_enqueued=remember,
                         bundle_id=str(bundle_id), attempt=attempt)


def bundle_person(*, kind: str, scope: dict[str, Any], case: Case | None) -> Any:
    """The person a bundle is written for, whose language preference it follows: the person of a subject-access
    export, or the one person harmed in the incidents of a court bundle or police pack (None if several)."""
    from ..models import Incident, ProtectedPerson

    if kind == Bundle.Kind.SUBJECT_ACCESS:
        return ProtectedPerson.objects.filter(pk=scope["protected_person"]).first() if "protected_person" in scope \
            else None
    if kind not in (Bundle.Kind.INJUNCTION, Bundle.Kind.POLICE_REFERRAL):
        return None
    if case is not None:
        incidents = Incident.objects.filter(case=case)
    else:
        incidents = Incident.objects.filter(subject_id=scope["subject"], occurred_at__date__gte=scope["date_from"],
                                            occurred_at__date__lte=scope["date_to"])
    people = set(incidents.exclude(protected_person=None).values_list("protected_person", flat=True)[:2])
    return ProtectedPerson.objects.filter(pk=people.pop()).first() if len(people) == 1 else None


def bundle_request(*, user: Any, kind: str, scope: Any, redactions: Any = None, purpose: str = "",
                   language: str = "", request: Any = None) -> Bundle:
    """Ask for a bundle. It is built by a worker: this only checks, records and queues (after the commit).

    It is written in ``language`` (en, cy or bilingual), else in the language of the person it is for
    (:func:`bundle_person`), else in ``SAFETY_WORKFLOW["DOCUMENT_LANGUAGE"]``."""
    if kind not in Bundle.Kind.values:
        raise InvalidInput(errors={"kind": [_("Not a kind of bundle.")]})
    if language and not valid_document_language(language):
        raise InvalidInput(errors={"language": [_("Choose en, cy or bilingual.")]})
    if kind not in bundle_kinds_for(user):
        refusal = NotFound()
        refusal.access_attempt = {"action": "export", "object_type": "bundle", "object_id": "", "outcome": "refused",
                                  "result": "kind_not_permitted", "subject": None, "data": {"kind": kind}}
        raise refusal
    _check_available()
    canonical, case, subject_id = bundle_scope_resolve(user=user, kind=kind, scope=scope)
    cleaned = bundle_redactions_clean(redactions)
    language = document_language(requested=language, person=None if language else bundle_person(
        kind=kind, scope=canonical, case=case))
    with transaction.atomic():
        bundle = Bundle.objects.create(
            kind=kind, scope=canonical, redactions=cleaned, case=case, subject_id=subject_id, language=language,
            purpose=purpose or "", requested_by=user, attempts=1, heartbeat_at=timezone.now(),
            log=[{"at": timezone.now().isoformat(), "event": "requested", "by": str(user.pk),
                  "redactions": len(cleaned)}],
        )
        access_log_record(actor=user, action="export", object_type="bundle", object_id=bundle.pk,
                          object_repr=str(bundle), purpose=purpose or "", result="requested", request=request,
                          subject=subject_id,
                          data={"kind": kind, "scope": canonical, "redactions": len(cleaned)})
        if case is not None:
            timeline_record(case=case, actor=user, action="bundle_requested",
                            summary=f"{bundle.get_kind_display()} requested.", data={"bundle": str(bundle.pk)})
        _queue_build(bundle)
    bundle.refresh_from_db()
    return bundle


def bundle_retry(*, user: Any, bundle: Bundle, request: Any = None) -> Bundle:
    """Build a failed bundle again, or one whose build died (no sign of life for too long)."""
    _check_available()
    with transaction.atomic():
        current = Bundle.objects.select_for_update().get(pk=bundle.pk)
        if current.status == Bundle.Status.READY:
            raise Conflict(_("This bundle is ready; request a new one to rebuild it."), code="bundle_ready")
        if current.status != Bundle.Status.FAILED and not current.is_stale():
            raise Conflict(_("This bundle is still being built."), code="bundle_in_progress")
        now = timezone.now()
        current.attempts += 1
        current.status = Bundle.Status.QUEUED
        current.progress, current.step, current.error, current.task_id = 0, "", "", ""
        current.started_at = current.finished_at = None
        current.heartbeat_at = now
        current.log = [*current.log, {"at": now.isoformat(), "event": "retry", "by": str(user.pk),
                                      "attempt": current.attempts}]
        current.save(update_fields=["attempts", "status", "progress", "step", "error", "task_id", "started_at",
                                    "finished_at", "heartbeat_at", "log"])
        access_log_record(actor=user, action="export", object_type="bundle", object_id=current.pk,
                          object_repr=str(current), result="retry", request=request,
                          data={"kind": current.kind, "attempt": current.attempts})
        _queue_build(current)
    current.refresh_from_db()
    return current


def bundle_supplement(*, user: Any, bundle: Bundle, purpose: str = "", request: Any = None) -> Bundle:
    """A supplementary bundle: the served ``bundle`` with what was added since (court documents, incidents,
    evidence) appended, paginated on from its last page. Built by a worker, like any bundle."""
    from ..bundles.court import supplement_news

    _check_available()
    with transaction.atomic():
        served = Bundle.objects.select_for_update().get(pk=bundle.pk)
        if (served.kind != Bundle.Kind.INJUNCTION or served.status != Bundle.Status.READY
                or served.case_id is None or not served.contents.get("bookmarks")):
            raise Conflict(_("Only a ready injunction bundle for one case (built since supplements were possible) can "
                           "be supplemented."), code="bundle_not_supplementable")
        incidents, evidence, documents = supplement_news(served, user)
        if not (incidents or evidence or documents):
            raise Conflict(_("Nothing has been added to the case since this bundle was built: there is nothing to "
                           "supplement it with."), code="nothing_to_supplement")
        supplement = Bundle.objects.create(
            kind=served.kind, scope=served.scope, redactions=served.redactions, case=served.case,
            subject=served.subject, purpose=purpose or "", requested_by=user, attempts=1, supplement_of=served,
            heartbeat_at=timezone.now(),
            log=[{"at": timezone.now().isoformat(), "event": "requested", "by": str(user.pk),
                  "supplement_of": str(served.pk), "incidents": len(incidents), "evidence": len(evidence),
                  "court_documents": len(documents)}],
        )
        access_log_record(actor=user, action="export", object_type="bundle", object_id=supplement.pk,
                          object_repr=str(supplement), purpose=purpose or "", result="requested", request=request,
                          subject=served.subject_id,
                          data={"kind": served.kind, "supplement_of": str(served.pk)})
        timeline_record(case=served.case, actor=user, action="bundle_requested",
                        summary="Supplementary injunction bundle requested.",
                        data={"bundle": str(supplement.pk), "supplement_of": str(served.pk)})
        _queue_build(supplement)
    supplement.refresh_from_db()
    return supplement


def bundles_requeue_stale(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Queue again every build that shows no sign of life (its worker was killed, or the queue lost it).

    A bundle is stale when it is queued or running and its heartbeat is older than
    ``BUNDLE_STALE_AFTER_SECONDS``. One still waiting in the queue behind other work (the backend says
    its task has not started) is left alone. A stale build is queued again under a new attempt
    number, so a late message for the old attempt does nothing; after ``BUNDLE_MAX_ATTEMPTS``
    attempts it is marked failed instead (a retry through the API may still be asked for).
    Run by the scheduled task ``requeue_stale_bundles`` and the ``safety_workflow_requeue_stale_bundles`` command.
    """
    from ..background import task_still_waiting

    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=app_settings.BUNDLE_STALE_AFTER_SECONDS)
    active = (Bundle.Status.QUEUED, Bundle.Status.RUNNING)
    candidates = list(Bundle.objects.filter(status__in=active, heartbeat_at__lt=cutoff)
                      .order_by("requested_at").values_list("pk", flat=True))
    counts = {"requeued": 0, "failed": 0, "waiting": 0}
    for pk in candidates:
        with transaction.atomic():
            current = Bundle.objects.select_for_update().filter(pk=pk).first()
            if current is None or not current.is_stale(now):
                continue
            if current.status == Bundle.Status.QUEUED and task_still_waiting(current.task_id):
                counts["waiting"] += 1
                continue
            if current.attempts >= app_settings.BUNDLE_MAX_ATTEMPTS:
                current.status = Bundle.Status.FAILED
                current.error = (f"The build stopped without finishing {current.attempts} times (its worker was "
                                 "stopped or ran out of memory). Retry, or ask an administrator to look at the "
                                 "worker's log.")
                current.step = "Failed"
                current.finished_at = current.heartbeat_at = now
                current.log = [*current.log, {"at": now.isoformat(), "event": "gave_up", "attempt": current.attempts}]
                current.save(update_fields=["status", "error", "step", "finished_at", "heartbeat_at", "log"])
                counts["failed"] += 1
                continue
            previous = current.status
            current.attempts += 1
            current.status = Bundle.Status.QUEUED
            current.progress, current.step, current.error, current.task_id = 0, "", "", ""
            current.started_at = current.finished_at = None
            current.heartbeat_at = now
            current.log = [*current.log, {"at": now.isoformat(), "event": "requeued", "attempt": current.attempts,
                                          "was": previous}]
            current.save(update_fields=["attempts", "status", "progress", "step", "error", "task_id", "started_at",
                                        "finished_at", "heartbeat_at", "log"])
            _queue_build(current)
            counts["requeued"] += 1
    return counts


def bundle_file_sha256(bundle: Bundle) -> str:
    digest = hashlib.sha256()
    with bundle.file.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def bundle_download(*, user: Any, bundle: Bundle, request: Any = None) -> IO[bytes]:
    """Open a ready bundle for download, after checking the stored file still matches its SHA-256.

    Every download, and every download refused because the file changed, is in the access log.
    """
    if bundle.status != Bundle.Status.READY or not bundle.file:
        raise Conflict(_("This bundle is not ready."), code="bundle_not_ready")
    try:
        actual = bundle_file_sha256(bundle)
    except OSError:
        actual = ""
    ok = actual == bundle.sha256
    access_log_record(actor=user, action="download", object_type="bundle", object_id=bundle.pk,
                      object_repr=str(bundle), result="ok" if ok else "integrity_failed", request=request,
                      outcome="allowed" if ok else "failed", subject=bundle.subject_id,
                      reference=bundle.sha256, data={"kind": bundle.kind, "size": bundle.size})
    if not ok:
        raise Conflict(_("The stored bundle no longer matches its SHA-256 and will not be served. "
                       "Request a new bundle and tell an administrator."), code="bundle_integrity_failed")
    return bundle.file.open("rb")
