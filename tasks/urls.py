from django.urls import include, path

from .views import queue, tasks, time

app_name = "tasks"

urlpatterns = [
    path("", tasks.task_list, name="list"),
    path("new/", tasks.task_new, name="new"),
    path("queue/", queue.queue, name="queue"),
    path("queue/next/", queue.take_next, name="take_next"),
    path("<int:pk>/", tasks.task_detail, name="detail"),
    path("<int:pk>/move/", tasks.task_move, name="move"),
    path("<int:pk>/claim/", tasks.task_claim, name="claim"),
    path("<int:pk>/comments/", tasks.comment_add, name="comment"),
    path("<int:pk>/time/", tasks.time_log, name="time"),
    path("<int:pk>/timer/start/", tasks.timer_start, name="timer_start"),
    path("<int:pk>/timer/stop/", tasks.timer_stop, name="timer_stop"),
    path("<int:pk>/timer/discard/", tasks.timer_discard, name="timer_discard"),
    path("<int:pk>/budget/", tasks.budget_request, name="budget_request"),
    path("<int:pk>/thanks/", tasks.task_thank, name="thank"),
    path("<int:pk>/attachments/", tasks.attachment_add, name="attachment_add"),
    path(
        "<int:pk>/attachments/<int:attachment_pk>/",
        tasks.attachment_download,
        name="attachment",
    ),
    path("<int:pk>/checklist/<int:item_pk>/", tasks.checklist_toggle, name="checklist_toggle"),
    path("budget-requests/<int:pk>/", tasks.budget_decide, name="budget_decide"),
    path("time/<int:organization_pk>.csv", time.time_log_csv, name="time_csv"),
    path("kept-files/<int:pk>/", tasks.pending_upload_download, name="pending_upload"),
    path("recurring/", include("tasks.urls_recurring")),
    path("projects/", include("tasks.urls_projects")),
]
