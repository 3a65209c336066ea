from django.urls import path

from . import views

app_name = "staff"

urlpatterns = [
    path("", views.accounts, name="accounts"),
    path("accounts/<int:pk>/deactivate/", views.account_deactivate, name="deactivate"),
    path("accounts/<int:pk>/reactivate/", views.account_reactivate, name="reactivate"),
    path("invitations/", views.invitations, name="invitations"),
    path("invitations/new/", views.invitation_new, name="invitation_new"),
    path("invitations/<int:pk>/resend/", views.invitation_resend, name="invitation_resend"),
    path("invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("engagements/", views.engagements, name="engagements"),
    path("engagements/new/", views.engagement_new, name="engagement_new"),
    path("engagements/<int:pk>/", views.engagement_edit, name="engagement_edit"),
    path("engagements/<int:pk>/end/", views.engagement_end, name="engagement_end"),
    path("hand-over/", views.hand_over, name="hand_over"),
    path("audit/", views.audit, name="audit"),
]
