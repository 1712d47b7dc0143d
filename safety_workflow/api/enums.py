"""The choice sets the API's schema names (see ``schema.ENUM_NAME_OVERRIDES``). Imported by drf-spectacular
when it builds the schema, never from settings."""

from ..models import (
    Bundle,
    Case,
    ContactHandle,
    ContactMethod,
    CouncilAction,
    Level,
    RegisterEntry,
    Route,
    SecurityMeasure,
)

LEVELS = Level
ROUTES = Route
CONTACT_METHODS = ContactMethod
CASE_STATES = Case.State
HANDLE_KINDS = ContactHandle.Kind
BUNDLE_KINDS = Bundle.Kind
SECURITY_MEASURE_STATUSES = SecurityMeasure.Status
REGISTER_ENTRY_STATES = RegisterEntry.State
COUNCIL_ACTION_KINDS = CouncilAction.Kind
