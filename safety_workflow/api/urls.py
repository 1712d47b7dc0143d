"""URLs of the API. A host mounts them with ``path("api/safety/", include("safety_workflow.api.urls"))``."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import reference, support
from .cases import CaseViewSet, ReferralViewSet
from .incidents import IncidentViewSet
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

urlpatterns = [
    path("", include(router.urls)),
    path("advice-templates/", reference.AdviceTemplateList.as_view(), name="advice-templates"),
    path("decision-tables/current/", reference.CurrentDecisionTable.as_view(), name="decision-table-current"),
    path("police-contacts/", reference.PoliceContactList.as_view(), name="police-contacts"),
]
