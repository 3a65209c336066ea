from datetime import date

from django import forms
from django.core.validators import URLValidator
from django.urls import reverse
from django.utils.html import format_html

from clients.models import TeamMember

from .models import WEEKDAY_NAMES, CheckInSettings, Recipients, WhenMissing
from .services import Content
from .video import MAX_VIDEO_BYTES, VIDEO_SUFFIXES, video_content_type

# Quick starts for the new check-in page: ?start=thanks, ?start=process, ?start=note.
QUICK_STARTS = {
    "thanks": {
        "label": "Thank the team",
        "subject": "Thank you, team",
        "message": "A quick note before the day gets going.",
        "thanks": "Thank you all for a great week: the customers notice it, and so do I.",
    },
    "process": {
        "label": "Share a new process",
        "subject": "A new way we will do things",
        "message": "Starting today we change one thing in how we work.",
        "new_process": "1. What changes\n2. Who it affects\n3. Who to ask",
    },
    "note": {
        "label": "A quick note",
        "subject": "Good morning, team",
        "message": "Just checking in: have a good day out there.",
    },
}


def one_line(value: str, what: str) -> str:
    if "\n" in value or "\r" in value:
        raise forms.ValidationError(f"{what} is one line: take out the line break.")
    return value


class CheckInForm(forms.Form):
    subject = forms.CharField(max_length=150)
    message = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}), help_text="Markdown: **bold**, lists, links."
    )
    thanks = forms.CharField(
        label="A thank-you to the team",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    new_process = forms.CharField(
        label="A new process to share", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    video_url = forms.URLField(
        label="Video link",
        required=False,
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"])],
        help_text="YouTube, Vimeo, Loom or any page that plays it.",
    )
    video = forms.FileField(
        label="Or upload a video",
        required=False,
        help_text=f"{', '.join(VIDEO_SUFFIXES)}; at most {MAX_VIDEO_BYTES // 1024 // 1024} MB. "
        "It is linked from the email, never attached.",
    )
    recipients = forms.ChoiceField(
        choices=Recipients.choices, initial=Recipients.DEFAULT, widget=forms.RadioSelect
    )
    locations = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, choices=[]
    )
    people = forms.ModelMultipleChoiceField(
        queryset=TeamMember.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    send_on = forms.DateField(
        label="Day", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    ACTIONS = ("draft", "submit", "schedule", "send_now")

    def __init__(self, *args, organization, action: str = "draft", **kwargs):
        super().__init__(*args, **kwargs)
        self.action = action if action in self.ACTIONS else "draft"
        self.fields["message"].widget.attrs.update(
            {
                "hx-post": reverse("checkins:preview"),
                "hx-trigger": "load, input changed delay:400ms",
                "hx-target": "#preview",
            }
        )
        members = TeamMember.objects.filter(organization=organization, active=True)
        self.fields["people"].queryset = members
        self.fields["locations"].choices = [
            (location, location) for location in roster_locations(organization)
        ]

    def clean_subject(self):
        return one_line(self.cleaned_data["subject"], "A subject")

    def clean_video(self):
        upload = self.cleaned_data.get("video")
        if upload:
            self.video_content_type = video_content_type(upload)
        return upload

    def clean(self):
        data = super().clean()
        recipients = data.get("recipients")
        if recipients == Recipients.PEOPLE and not data.get("people"):
            self.add_error("people", "Choose at least one person.")
        if recipients == Recipients.LOCATIONS and not data.get("locations"):
            self.add_error("locations", "Choose at least one location.")
        if data.get("video") and data.get("video_url"):
            self.add_error("video", "Give a link or an upload, not both.")
        if self.action == "schedule" and not data.get("send_on"):
            self.add_error("send_on", "Choose the day it goes out.")
        return data

    def content(self) -> Content:
        data = self.cleaned_data
        return Content(
            subject=data["subject"],
            message=data["message"],
            thanks=data["thanks"],
            new_process=data["new_process"],
            video_url=data["video_url"],
            recipients=data["recipients"],
            locations=data["locations"],
            people=list(data["people"]),
            video=data.get("video") or None,
            video_content_type=getattr(self, "video_content_type", ""),
        )


def roster_locations(organization) -> list[str]:
    return list(
        TeamMember.objects.filter(organization=organization, active=True)
        .exclude(location="")
        .order_by("location")
        .values_list("location", flat=True)
        .distinct()
    )


class SkipDatesField(forms.CharField):
    """Holidays, one ISO date (2026-12-25) per line."""

    widget = forms.Textarea(attrs={"rows": 3})

    def to_python(self, value):
        days = []
        for number, line in enumerate((value or "").splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            try:
                days.append(date.fromisoformat(line).isoformat())
            except ValueError as error:
                raise forms.ValidationError(
                    f"Line {number}, “{line}”, is not a date like 2026-12-25."
                ) from error
        return sorted(set(days))

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value


class CheckInSettingsForm(forms.ModelForm):
    weekdays = forms.TypedMultipleChoiceField(
        choices=list(enumerate(WEEKDAY_NAMES)),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        label="Days it goes out",
    )
    skip_dates = SkipDatesField(
        required=False, label="Dates to skip", help_text="Holidays: one date (2026-12-25) a line."
    )
    default_locations = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Usual recipients",
        help_text="None ticked: the whole team.",
    )
    when_missing = forms.ChoiceField(
        choices=WhenMissing.choices, widget=forms.RadioSelect, label="When nothing is written"
    )

    class Meta:
        model = CheckInSettings
        fields = [
            "send_time",
            "weekdays",
            "skip_dates",
            "sender_name",
            "reply_to",
            "default_locations",
            "when_missing",
            "standing_note",
        ]
        widgets = {
            "send_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "standing_note": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Help texts are shown as HTML, so the name in it is escaped.
        self.fields["sender_name"].help_text = format_html(
            "The email comes from this name followed by “via VA Portal”: “{} via VA Portal”.",
            self.instance.sender_name or "Your Name",
        )
        self.fields["default_locations"].choices = [
            (location, location) for location in roster_locations(self.instance.organization)
        ]

    def clean_sender_name(self):
        return one_line(self.cleaned_data["sender_name"], "The sender name")

    def clean(self):
        data = super().clean()
        if (
            data.get("when_missing") == WhenMissing.STANDING
            and not data.get("standing_note", "").strip()
        ):
            self.add_error("standing_note", "Write the standing note, or choose another option.")
        return data

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class DeclineForm(forms.Form):
    note = forms.CharField(required=False, max_length=300, label="Why (optional)")
