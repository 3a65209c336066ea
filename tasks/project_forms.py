from django import forms

from accounts.models import User

from .models import Project


class ProjectForm(forms.Form):
    """Starting or changing a project. The organization is chosen only when starting one."""

    organization = forms.ModelChoiceField(queryset=None, label="Client")
    title = forms.CharField(max_length=200)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        help_text="The outcome you want, and anything the assistant should know. Markdown.",
    )
    owner = forms.ModelChoiceField(
        queryset=None, help_text="The owner or manager who decides on this project."
    )
    target_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, organizations, project: Project | None = None, **kwargs):
        if project is not None:
            kwargs.setdefault(
                "initial",
                {
                    "title": project.title,
                    "description": project.description,
                    "owner": project.owner_id,
                    "target_date": project.target_date,
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = User.objects.filter(
            memberships__organization__in=organizations, is_active=True
        ).distinct()
        if project is None:
            self.fields["organization"].queryset = organizations
            if len(organizations) == 1:
                self.fields["organization"].initial = organizations[0]
        else:
            del self.fields["organization"]


class MilestoneForm(forms.Form):
    title = forms.CharField(max_length=200)
    due_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    needs_approval = forms.BooleanField(
        required=False,
        label="The owner approves before work on it starts",
        help_text="For example before hiring an outside firm.",
    )
