"""The choice sets the API's schema names (see ``schema.ENUM_NAME_OVERRIDES``). Imported by drf-spectacular
when it builds the schema, never from settings."""

from ..models import (
    AccessLogEntry,
    Bundle,
    Case,
    ContactHandle,
    ContactMethod,
    CouncilAction,
    EvidenceText,
    Level,
    ProtectedPerson,
    RegisterEntry,
    Route,
    SecurityMeasure,
)
from ..retention import KINDS
from ..services.holds import TARGETS

LEVELS = Level
ROUTES = Route
CONTACT_METHODS = ContactMethod
CASE_STATES = Case.State
HANDLE_KINDS = ContactHandle.Kind
PROTECTED_PERSON_KINDS = ProtectedPerson.Kind
BUNDLE_KINDS = Bundle.Kind
SECURITY_MEASURE_STATUSES = SecurityMeasure.Status
REGISTER_ENTRY_STATES = RegisterEntry.State
COUNCIL_ACTION_KINDS = CouncilAction.Kind
INJUNCTION_OUTCOMES = CouncilAction.Outcome
INJUNCTION_BASES = CouncilAction.Basis
COURTS = CouncilAction.Court
ACCESS_OUTCOMES = AccessLogEntry.Outcome
EVIDENCE_TEXT_STATUSES = EvidenceText.Status
EVIDENCE_TEXT_METHODS = EvidenceText.Method
#: Kinds of record in the retention schedule, and what a legal hold may be placed on.
RETENTION_KINDS = list(KINDS)
HOLD_TARGETS = list(TARGETS)
