import zoneinfo
from datetime import datetime

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Layout
from django import forms
from django.utils import timezone

from accounts.models import User
from clients.models import Organization

from .models import Category, Milestone, Priority, Project, Status
from .uploads import MAX_ATTACHMENT_BYTES, attachment_content_type


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


class TaskForm(forms.Form):
    """Delegating a task. The due time is read in the writer's own time zone."""

    organization = forms.ModelChoiceField(queryset=Organization.objects.none(), label="Client")
    requested_by = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="For",
        help_text="The owner or manager who asked for this.",
    )
    title = forms.CharField(max_length=200)
    details = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text="Markdown: **bold**, lists, links.",
    )
    category = forms.ChoiceField(choices=Category.choices, initial=Category.OTHER)
    priority = forms.TypedChoiceField(choices=Priority.choices, coerce=int, initial=Priority.NORMAL)
    due_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    due_time = forms.TimeField(
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text="Your time zone.",
    )
    budget_minutes = forms.IntegerField(
        required=False, min_value=1, max_value=100_000, label="Time budget (minutes)"
    )
    checklist = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="One item per line.",
    )
    attachments = MultipleFileField(
        required=False,
        help_text=(
            f"Documents, images or spreadsheets, at most {MAX_ATTACHMENT_BYTES // 2**20} MB each."
        ),
    )
    project = forms.ModelChoiceField(
        queryset=Project.objects.none(), required=False, empty_label="No project"
    )
    milestone = forms.ModelChoiceField(
        queryset=Milestone.objects.none(), required=False, empty_label="No milestone"
    )

    def __init__(self, *args, user: User, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["organization"].queryset = organizations
        if organizations.count() == 1:
            self.fields["organization"].initial = organizations.first()
        projects = Project.objects.visible_to(user).filter(
            organization__in=organizations, state=Project.State.ACTIVE
        )
        self.fields["project"].queryset = projects
        self.fields["milestone"].queryset = Milestone.objects.filter(
            project__in=projects
        ).select_related("project")
        self.fields["milestone"].label_from_instance = lambda m: f"{m.project} · {m}"
        # Coming from a project's page (?project=…): the task lands in that project's client.
        if self.initial.get("project"):
            project = projects.filter(pk=self.initial["project"]).first()
            if project is not None:
                self.initial["organization"] = project.organization_id
        if hasattr(user, "assistant_profile"):
            self.fields["requested_by"].queryset = User.objects.filter(
                memberships__organization__in=organizations, is_active=True
            ).distinct()
        else:
            del self.fields["requested_by"]
        # Files kept from an earlier try of the form are listed under the file input.
        names = list(self.fields)
        position = names.index("attachments") + 1
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # the page's form tag carries the token
        self.helper.layout = Layout(
            *names[:position], HTML('{% include "tasks/_kept_uploads.html" %}'), *names[position:]
        )

    def clean_attachments(self):
        uploads = self.cleaned_data["attachments"]
        errors = []
        for upload in uploads:
            try:
                attachment_content_type(upload)
            except forms.ValidationError as error:
                errors.extend(error.messages)
        if errors:
            raise forms.ValidationError(errors)
        return uploads

    def clean(self):
        cleaned = super().clean()
        due_date, due_time = cleaned.get("due_date"), cleaned.get("due_time")
        cleaned["due_at"] = None
        if due_time and not due_date:
            self.add_error("due_date", "Give the day as well as the time.")
        elif due_date:
            local = datetime.combine(
                due_date, due_time or datetime.max.time().replace(microsecond=0)
            )
            due_at = local.replace(tzinfo=zoneinfo.ZoneInfo(self.user.timezone))
            if due_at <= timezone.now():
                self.add_error("due_date", "The due time is in the past.")
            cleaned["due_at"] = due_at
        organization, requested_by = cleaned.get("organization"), cleaned.get("requested_by")
        if "requested_by" in self.fields and organization:
            if requested_by is None:
                self.add_error("requested_by", "Choose who this task is for.")
            elif not requested_by.memberships.filter(organization=organization).exists():
                self.add_error("requested_by", f"{requested_by} is not part of {organization}.")
        project, milestone = cleaned.get("project"), cleaned.get("milestone")
        if milestone is not None and project is None:
            cleaned["project"] = project = milestone.project
        if milestone is not None and milestone.project_id != project.pk:
            self.add_error("milestone", f"“{milestone}” is a milestone of another project.")
        if project is not None and organization and project.organization_id != organization.pk:
            self.add_error("project", f"“{project}” is a project of {project.organization}.")
        cleaned["checklist"] = [
            line.strip() for line in cleaned.get("checklist", "").splitlines() if line.strip()
        ]
        return cleaned


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Comment", widget=forms.Textarea(attrs={"rows": 3}), max_length=10_000
    )


class MoveForm(forms.Form):
    to = forms.ChoiceField(choices=Status.choices)
    note = forms.CharField(required=False, max_length=2000)


class TimeEntryForm(forms.Form):
    minutes = forms.IntegerField(
        min_value=1,
        max_value=24 * 60,
        error_messages={"min_value": "Log at least one minute."},
    )
    note = forms.CharField(required=False, max_length=300)


class TimerStopForm(forms.Form):
    note = forms.CharField(required=False, max_length=300)


class BudgetRequestForm(forms.Form):
    extra_minutes = forms.IntegerField(min_value=1, max_value=100_000, label="More minutes")
    reason = forms.CharField(max_length=300)


class ThanksForm(forms.Form):
    note = forms.CharField(
        label="Your thanks", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class AttachmentForm(forms.Form):
    file = forms.FileField()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        attachment_content_type(upload)
        return upload


class QueueFilterForm(forms.Form):
    """The queue's filters. The client is checked against the assistant's clients here rather
    than as a choice field: the form is made on every view of the queue, and a choice field
    copies and normalizes every client each time."""

    organization = forms.IntegerField(required=False)
    status = forms.ChoiceField(
        choices=[
            ("", "Any status"),
            *[(s.value, s.label) for s in (Status.NEW, Status.IN_PROGRESS, Status.WAITING)],
        ],
        required=False,
    )
    category = forms.ChoiceField(
        choices=[("", "Any category"), *[(c.value, c.label) for c in Category]], required=False
    )
    due = forms.ChoiceField(
        choices=[
            ("", "Any time"),
            ("overdue", "Overdue"),
            ("today", "Due today"),
            ("week", "Due this week"),
        ],
        required=False,
    )

    def __init__(self, *args, organizations: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.organizations = organizations

    def clean_organization(self) -> int | None:
        organization = self.cleaned_data["organization"]
        if organization is not None and organization not in dict(self.organizations):
            raise forms.ValidationError("Choose one of your clients.")
        return organization

    def selects(self) -> list[dict]:
        """Each filter with its options and which one is chosen, worked out once here rather
        than per option in the template."""
        selects = []
        for field in self:
            chosen = str(field.value() or "")
            choices = (
                [("", "All clients"), *self.organizations]
                if field.name == "organization"
                else field.field.choices
            )
            options = [(str(value), label, str(value) == chosen) for value, label in choices]
            selects.append({"name": field.html_name, "label": field.label, "options": options})
        return selects


class TaskSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search")
    status = forms.ChoiceField(
        choices=[("", "Open"), ("all", "All"), *Status.choices], required=False
    )
    organization = forms.ModelChoiceField(
        queryset=Organization.objects.none(),
        required=False,
        label="Client",
        empty_label="All clients",
        error_messages={"invalid_choice": "Choose one of your clients."},
    )

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations
