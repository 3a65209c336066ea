from django import forms

from .models import AssistantProfile


class AssistantProfileForm(forms.ModelForm):
    class Meta:
        model = AssistantProfile
        fields = ["bio", "skills", "working_hours"]
        widgets = {"bio": forms.Textarea(attrs={"rows": 3})}
