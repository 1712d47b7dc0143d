"""URLs of the API. A host mounts them with ``path("api/safety/", include("safety_workflow.api.urls"))``."""

from django.urls import include, path, re_path
from rest_framework.routers import SimpleRouter

from . import audit, integrations, reference, register, retention, support
from .base import not_found
from .bundles import BundleViewSet
from .cases import CaseViewSet, ReferralViewSet
from .incidents import IncidentViewSet
from .meetings import MeetingViewSet
from .people import ElectionPeriodViewSet, ProtectedPersonViewSet
from .reports import ReportViewSet
from .subjects import SubjectViewSet
from .tasks import TaskViewSet

app_name = "safety_workflow"

router = SimpleRouter()
router.register("incidents", IncidentViewSet, basename="incident")
router.register("cases", CaseViewSet, basename="case")
router.register("tasks", TaskViewSet, basename="task")
router.register("referrals", ReferralViewSet, basename="referral")
router.register("support/advice", support.AdviceViewSet, basename="support-advice")
router.register("support/home-security", support.HomeSecurityViewSet, basename="support-home-security")
router.register("support/priority-flags", support.PriorityFlagViewSet, basename="support-priority-flag")
router.register("support/employee-assistance", support.EmployeeAssistanceViewSet,
                basename="support-employee-assistance")
router.register("support/induction-training", support.InductionViewSet, basename="support-induction-training")
router.register("subjects", SubjectViewSet, basename="subject")
router.register("protected-persons", ProtectedPersonViewSet, basename="protected-person")
router.register("election-periods", ElectionPeriodViewSet, basename="election-period")
router.register("reports", ReportViewSet, basename="report")
router.register("meetings", MeetingViewSet, basename="meeting")
router.register("bundles", BundleViewSet, basename="bundle")
router.register("notifications", integrations.NotificationViewSet, basename="notification")
router.register("webhooks", integrations.WebhookViewSet, basename="webhook")

urlpatterns = [
    path("", include(router.urls)),
    path("advice-templates/", reference.AdviceTemplateList.as_view(), name="advice-templates"),
    path("decision-tables/current/", reference.CurrentDecisionTable.as_view(), name="decision-table-current"),
    path("police-contacts/", reference.PoliceContactList.as_view(), name="police-contacts"),
    # The Potentially Violent Persons Register (ids are matched as strings: a malformed one is a JSON 404).
    path("register/check/", register.RegisterCheckView.as_view(), name="register-check"),
    path("register/entries/", register.RegisterEntryListView.as_view(), name="register-entry-list"),
    path("register/entries/<str:entry_id>/", register.RegisterEntryDetailView.as_view(),
         name="register-entry-detail"),
    path("register/entries/<str:entry_id>/approve/", register.RegisterEntryApproveView.as_view(),
         name="register-entry-approve"),
    path("register/entries/<str:entry_id>/notification/", register.RegisterEntryNotificationView.as_view(),
         name="register-entry-notification"),
    path("register/entries/<str:entry_id>/review/", register.RegisterEntryReviewView.as_view(),
         name="register-entry-review"),
    path("register/entries/<str:entry_id>/grants/", register.RegisterEntryGrantsView.as_view(),
         name="register-entry-grants"),
    path("register/entries/<str:entry_id>/grants/users/<str:grantee_id>/",
         register.RegisterEntryRevokeView.as_view(kind="users"), name="register-entry-revoke-user"),
    path("register/entries/<str:entry_id>/grants/groups/<str:grantee_id>/",
         register.RegisterEntryRevokeView.as_view(kind="groups"), name="register-entry-revoke-group"),
    # The access log, for information governance.
    path("audit/", audit.AccessLogListView.as_view(), name="audit-log"),
    # Retention: legal holds, the schedule in force and the disposal log.
    path("holds/", retention.HoldListView.as_view(), name="hold-list"),
    path("holds/<str:hold_id>/", retention.HoldDetailView.as_view(), name="hold-detail"),
    path("holds/<str:hold_id>/review/", retention.HoldReviewView.as_view(), name="hold-review"),
    path("holds/<str:hold_id>/release/", retention.HoldReleaseView.as_view(), name="hold-release"),
    path("retention/schedule/", retention.RetentionScheduleView.as_view(), name="retention-schedule"),
    path("retention/disposals/", retention.DisposalListView.as_view(), name="retention-disposals"),
    # GOV.UK Notify's delivery receipts (authenticated by the callback's bearer token; not in the schema).
    path("callbacks/notify/", integrations.notify_callback, name="notify-callback"),
    # Anything else under the API: a JSON 404, as for a record that does not exist.
    re_path(r"^.*$", not_found, name="not-found"),
]
