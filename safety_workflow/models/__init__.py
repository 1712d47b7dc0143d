"""All models of safety_workflow, importable from ``safety_workflow.models``."""

from .actions import AdviceGiven, AdviceTemplate, CouncilAction, PoliceContact, PoliceReferral
from .assessment import Assessment, DecisionQuestion, DecisionRule, DecisionTable
from .audit import AccessLogChain, AccessLogEntry, TaskDeadline, TimelineEntry
from .bundles import Bundle, CourtDocument
from .cases import (
    LEVEL_ORDER,
    Case,
    ContactMethod,
    EvidenceFile,
    IdempotencyRecord,
    Incident,
    Level,
    ReferenceSequence,
    Route,
)
from .evidence import EvidenceText
from .notifications import Notification, WebhookDelivery, WebhookSubscription
from .patterns import CourseOfConductFlag, EscalationSignal, LiaisonMeeting
from .people import Candidacy, ElectionPeriod, Language, ProtectedPerson
from .register import (
    RegisterAddress,
    RegisterAlias,
    RegisterCheckHit,
    RegisterEntry,
    RegisterEntryEvent,
    RegisterEntryGroupGrant,
    RegisterEntryUserGrant,
    RegisterMatchKey,
    RegisterMitigation,
    RegisterProcess,
)
from .retention import DisposalRecord, LegalHold, PendingFileDeletion
from .subjects import ContactHandle, Subject, SubjectAlias
from .support import (
    EmployeeAssistanceOffer,
    HomeSecurityAssessment,
    InductionTraining,
    PriorityAddressFlag,
    SecurityMeasure,
)

__all__ = [
    "Notification",
    "WebhookDelivery",
    "WebhookSubscription",
    "LEVEL_ORDER",
    "AccessLogChain",
    "AccessLogEntry",
    "AdviceGiven",
    "AdviceTemplate",
    "Assessment",
    "Bundle",
    "Candidacy",
    "Case",
    "ContactHandle",
    "ContactMethod",
    "Language",
    "CouncilAction",
    "CourtDocument",
    "CourseOfConductFlag",
    "DecisionQuestion",
    "DecisionRule",
    "DecisionTable",
    "DisposalRecord",
    "ElectionPeriod",
    "EmployeeAssistanceOffer",
    "EscalationSignal",
    "EvidenceFile",
    "EvidenceText",
    "HomeSecurityAssessment",
    "IdempotencyRecord",
    "Incident",
    "LegalHold",
    "InductionTraining",
    "Level",
    "LiaisonMeeting",
    "PendingFileDeletion",
    "PoliceContact",
    "PoliceReferral",
    "PriorityAddressFlag",
    "ProtectedPerson",
    "ReferenceSequence",
    "RegisterAddress",
    "RegisterAlias",
    "RegisterCheckHit",
    "RegisterEntry",
    "RegisterEntryEvent",
    "RegisterEntryGroupGrant",
    "RegisterEntryUserGrant",
    "RegisterMatchKey",
    "RegisterMitigation",
    "RegisterProcess",
    "Route",
    "SecurityMeasure",
    "Subject",
    "SubjectAlias",
    "TaskDeadline",
    "TimelineEntry",
]
