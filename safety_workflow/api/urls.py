"""URLs of the API. A host mounts them with ``path("api/safety/", include("safety_workflow.api.urls"))``."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from .meetings import MeetingViewSet
from .reports import ReportViewSet
from .subjects import SubjectViewSet

app_name = "safety_workflow"

router = SimpleRouter()
router.register("subjects", SubjectViewSet, basename="subject")
router.register("reports", ReportViewSet, basename="report")
router.register("meetings", MeetingViewSet, basename="meeting")

urlpatterns = [
    path("", include(router.urls)),
]
