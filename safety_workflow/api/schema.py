"""drf-spectacular settings for hosts, so the API's enums have stable names in the OpenAPI schema.

In the host's settings (this module imports nothing from Django)::

    from safety_workflow.api.schema import ENUM_NAME_OVERRIDES

    SPECTACULAR_SETTINGS = {..., "ENUM_NAME_OVERRIDES": {**ENUM_NAME_OVERRIDES}}
"""

ENUM_NAME_OVERRIDES = {
    "LevelEnum": "safety_workflow.api.enums.LEVELS",
    "RouteEnum": "safety_workflow.api.enums.ROUTES",
    "ContactMethodEnum": "safety_workflow.api.enums.CONTACT_METHODS",
    "CaseStateEnum": "safety_workflow.api.enums.CASE_STATES",
    "HandleKindEnum": "safety_workflow.api.enums.HANDLE_KINDS",
    "ProtectedPersonKindEnum": "safety_workflow.api.enums.PROTECTED_PERSON_KINDS",
    "BundleKindEnum": "safety_workflow.api.enums.BUNDLE_KINDS",
    "SecurityMeasureStatusEnum": "safety_workflow.api.enums.SECURITY_MEASURE_STATUSES",
    "RegisterEntryStateEnum": "safety_workflow.api.enums.REGISTER_ENTRY_STATES",
    "CouncilActionKindEnum": "safety_workflow.api.enums.COUNCIL_ACTION_KINDS",
    "InjunctionOutcomeEnum": "safety_workflow.api.enums.INJUNCTION_OUTCOMES",
    "BasisEnum": "safety_workflow.api.enums.INJUNCTION_BASES",
    "CourtEnum": "safety_workflow.api.enums.COURTS",
    "PartyRoleEnum": "safety_workflow.api.enums.COURT_PARTY_ROLES",
    "RoleEnum": "safety_workflow.api.enums.ROLES",
    "AccessOutcomeEnum": "safety_workflow.api.enums.ACCESS_OUTCOMES",
    "RetentionKindEnum": "safety_workflow.api.enums.RETENTION_KINDS",
    "HoldTargetEnum": "safety_workflow.api.enums.HOLD_TARGETS",
    "EvidenceTextStatusEnum": "safety_workflow.api.enums.EVIDENCE_TEXT_STATUSES",
    "EvidenceTextMethodEnum": "safety_workflow.api.enums.EVIDENCE_TEXT_METHODS",
    "ChannelEnum": "safety_workflow.api.enums.INCIDENT_CHANNELS",
    "NotificationChannelEnum": "safety_workflow.api.enums.NOTIFICATION_CHANNELS",
    "NotificationStatusEnum": "safety_workflow.api.enums.NOTIFICATION_STATUSES",
    "WebhookDeliveryStatusEnum": "safety_workflow.api.enums.WEBHOOK_DELIVERY_STATUSES",
    "WebhookEventTypeEnum": "safety_workflow.api.enums.WEBHOOK_EVENT_TYPES",
}

