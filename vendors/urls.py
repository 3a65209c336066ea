from django.urls import path

from . import views

app_name = "vendors"

urlpatterns = [
    path("", views.vendor_list, name="list"),
    path("new/", views.vendor_edit, name="new"),
    path("import/", views.vendor_import, name="import"),
    path("authority/", views.authority_page, name="authority"),
    path("settings/", views.vendor_settings, name="settings"),
    path("review/", views.review, name="review"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbound/", views.inbound, name="inbound"),
    path("hand-over/", views.hand_over_summary, name="hand_over"),
    path("write/", views.write_for_task, name="write_for_task"),
    path("<int:pk>/", views.vendor_detail, name="detail"),
    path("<int:pk>/edit/", views.vendor_edit, name="edit"),
    path("<int:pk>/contacts/new/", views.contact_edit, name="contact_new"),
    path("contacts/<int:contact_pk>/", views.contact_edit, name="contact_edit"),
    path("<int:pk>/documents/", views.document_add, name="document_add"),
    path("documents/<int:pk>/", views.document_download, name="document"),
    path("<int:pk>/write/", views.write, name="write"),
    path("<int:pk>/log/", views.log, name="log"),
    path("messages/<int:pk>/", views.message_detail, name="message"),
    path(
        "messages/<int:pk>/approve/", views.message_decide, {"decision": "approve"}, name="approve"
    ),
    path("messages/<int:pk>/reject/", views.message_decide, {"decision": "reject"}, name="reject"),
    path("messages/<int:pk>/file/", views.message_file, name="file"),
    path("approve/<str:token>/", views.approve_link, name="approve_link"),
]
