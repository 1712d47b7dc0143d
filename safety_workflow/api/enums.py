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
    Incident,
    Level,
    Notification,
    ProtectedPerson,
    RegisterEntry,
    Route,
    SecurityMeasure,
    WebhookDelivery,
)
from ..retention import KINDS
from ..roles import Role
from ..services.court import PARTY_ROLES
from ..services.holds import TARGETS
from ..webhooks import EVENT_TYPES

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
NOTIFICATION_CHANNELS = Notification.Channel
NOTIFICATION_STATUSES = Notification.Status
WEBHOOK_DELIVERY_STATUSES = WebhookDelivery.Status
#: The event types of webhooks (docs/integration.md).
WEBHOOK_EVENT_TYPES = [name for name in EVENT_TYPES if name != "ping"]
#: The incident's channel keeps its name ChannelEnum (a notification has a channel too).
INCIDENT_CHANNELS = Incident.Channel
#: The roles of the parties to a claim (``cases/{id}/court-claim/``).
COURT_PARTY_ROLES = list(PARTY_ROLES.items())
#: The roles of the package (a webhook subscription's role).
ROLES = Role
