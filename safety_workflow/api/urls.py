"""URLs of the API. A host mounts them with ``path("api/safety/", include("safety_workflow.api.urls"))``."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import audit, register

app_name = "safety_workflow"

router = SimpleRouter()

urlpatterns = [
    path("", include(router.urls)),
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
]
