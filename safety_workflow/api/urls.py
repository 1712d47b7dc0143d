"""URLs of the API. A host mounts them with ``path("api/safety/", include("safety_workflow.api.urls"))``."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from .incidents import IncidentViewSet
from .tasks import TaskViewSet

app_name = "safety_workflow"

router = SimpleRouter()
router.register("incidents", IncidentViewSet, basename="incident")
router.register("tasks", TaskViewSet, basename="task")

urlpatterns = [
    path("", include(router.urls)),
]
