import zoneinfo
from datetime import date, datetime, timedelta
from decimal import Decimal

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row
from django import forms

from accounts.models import User
from clients.models import Organization
from tasks.recurring_forms import RuleBuilderForm, rule_in_words, rule_initial
from vapportal.timezones import TimeZoneField, TimeZoneInput

from .models import CURRENCIES, RoutineTrip, Segment, TravelProfile
from .services import RoutineFields, SegmentFields


def _travelers(organizations) -> "forms.QuerySet":
    return User.objects.filter(
        memberships__organization__in=organizations, is_active=True
    ).distinct()


class NeverShownTextInput(forms.TextInput):
    """A box whose value is never written back into the page, even after a form error."""

    def format_value(self, value):
        return None


class NeverShownTextarea(forms.Textarea):
    def format_value(self, value):
        return None


class TravelProfileForm(forms.ModelForm):
    """The profile. The sensitive numbers are never put back into the page: their boxes start
    empty (showing the masked value), empty keeps what is stored, and "clear" removes it."""

    loyalty_programs = forms.CharField(
        required=False,
        widget=NeverShownTextarea(attrs={"rows": 3, "autocomplete": "off"}),
        help_text="One a line: program, then number (Delta SkyMiles 1234567).",
    )
    known_traveler_number = forms.CharField(
        required=False, max_length=30, widget=NeverShownTextInput(attrs={"autocomplete": "off"})
    )
    redress_number = forms.CharField(
        required=False, max_length=30, widget=NeverShownTextInput(attrs={"autocomplete": "off"})
    )
    clear_sensitive = forms.MultipleChoiceField(
        required=False,
        label="Remove",
        widget=forms.CheckboxSelectMultiple,
        choices=[
            ("loyalty_programs", "loyalty programs"),
            ("known_traveler_number", "known traveler number"),
            ("redress_number", "redress number"),
        ],
    )

    class Meta:
        model = TravelProfile
        fields = [
            "home_airport",
            "seat",
            "cabin",
            "meal",
            "preferred_airlines",
            "avoided_airlines",
            "hotel_chains",
            "car_size",
            "emergency_contact",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, masked: dict, **kwargs):
        super().__init__(*args, **kwargs)
        for name in TravelProfile.SENSITIVE:
            self.fields[name].widget.attrs["placeholder"] = masked.get(name) or ""
            self.fields[name].help_text = (
                "Stored: type a new one to replace it." if masked.get(name) else "Not stored yet."
            )

    def clean_home_airport(self):
        code = self.cleaned_data["home_airport"].strip().upper()
        if code and not (code.isalpha() and len(code) in (3, 4)):
            raise forms.ValidationError("An airport code is three or four letters, like ATW.")
        return code

    def changes(self) -> dict:
        data = self.cleaned_data
        changes = {name: data[name] for name in self.Meta.fields}
        for name in TravelProfile.SENSITIVE:
            if name in data["clear_sensitive"]:
                changes[name] = ""
            elif data[name].strip():
                changes[name] = data[name].strip()
        return changes


class TripForm(forms.Form):
    organization = forms.ModelChoiceField(queryset=Organization.objects.none(), label="Client")
    traveler = forms.ModelChoiceField(queryset=User.objects.none())
    purpose = forms.CharField(max_length=200)
    destinations = forms.CharField(max_length=300, help_text="Cities, in order.")
    depart_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Leave on")
    return_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Back on")
    flexibility = forms.CharField(max_length=200, required=False, help_text="± a day is fine...")
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, organizations, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations
        self.fields["traveler"].queryset = _travelers(organizations)
        if organizations.count() == 1:
            self.fields["organization"].initial = organizations.first()
        if user.memberships.exists():
            self.fields["traveler"].initial = user

    def clean(self):
        data = super().clean()
        if (
            data.get("depart_on")
            and data.get("return_on")
            and data["return_on"] < data["depart_on"]
        ):
            self.add_error("return_on", "The return is before the departure.")
        return data


class SegmentForm(forms.Form):
    kind = forms.ChoiceField(choices=Segment.Kind.choices)
    provider = forms.CharField(max_length=100, help_text="Airline, hotel, rental company...")
    number = forms.CharField(max_length=30, required=False, label="Flight or train number")
    confirmation = forms.CharField(max_length=50, required=False, label="Confirmation code")
    origin = forms.CharField(max_length=100, required=False, label="From")
    destination = forms.CharField(max_length=100, required=False, label="To / where")
    # Each time is shown with its zone beside it (travel/_local_time_field.html): the zone
    # is the one the time is read in.
    start = forms.DateTimeField(
        label="Starts",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="As the clocks show it where it starts, in the time zone beside it.",
    )
    start_zone = TimeZoneField(
        label="Time zone where it starts",
        widget=TimeZoneInput(attrs={"aria-label": "Time zone where it starts"}),
    )
    end = forms.DateTimeField(
        label="Ends",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="As the clocks show it where it ends, in the time zone beside it.",
    )
    # One list of suggestions serves both zones of the page.
    end_zone = TimeZoneField(
        label="Time zone where it ends",
        widget=TimeZoneInput(attrs={"aria-label": "Time zone where it ends"}),
        shared_list="id_start_zone-zones",
    )
    cost = forms.DecimalField(min_value=Decimal("0"), max_digits=10, decimal_places=2, initial=0)
    currency = forms.ChoiceField(choices=CURRENCIES, initial="USD")
    notes = forms.CharField(max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["start_zone"].preferred = [
            zone for zone in (self.initial.get("start_zone"), self.initial.get("end_zone")) if zone
        ]

    def clean(self):
        data = super().clean()
        if all(data.get(name) for name in ("start", "start_zone", "end", "end_zone")):
            start = self._aware(data["start"], data["start_zone"])
            end = self._aware(data["end"], data["end_zone"])
            if end < start:
                self.add_error("end", "This ends before it starts: check the times and zones.")
            data["start_at"], data["end_at"] = start, end
        return data

    @staticmethod
    def _aware(moment: datetime, zone: str) -> datetime:
        # The browser's datetime-local is a wall-clock time; it belongs to the chosen zone.
        return moment.replace(tzinfo=zoneinfo.ZoneInfo(zone))

    def segment_fields(self) -> SegmentFields:
        data = self.cleaned_data
        return SegmentFields(
            kind=data["kind"],
            provider=data["provider"],
            number=data["number"],
            confirmation=data["confirmation"],
            origin=data["origin"],
            destination=data["destination"],
            start_at=data["start_at"],
            start_zone=data["start_zone"],
            end_at=data["end_at"],
            end_zone=data["end_zone"],
            cost=data["cost"],
            currency=data["currency"],
            notes=data["notes"],
        )

    @classmethod
    def initial_for(cls, segment: Segment) -> dict:
        return {
            **{name: getattr(segment, name) for name in (
                "kind", "provider", "number", "confirmation", "origin", "destination",
                "start_zone", "end_zone", "cost", "currency", "notes",
            )},
            "start": segment.local_start.replace(tzinfo=None),
            "end": segment.local_end.replace(tzinfo=None),
        }  # fmt: skip


class DecisionForm(forms.Form):
    note = forms.CharField(max_length=300, required=False, label="Comment (optional)")


class RoutineForm(RuleBuilderForm):
    """A routine trip: what and where, the builder's schedule of the days themselves (in the
    traveler's time zone), and how each trip goes around its day."""

    organization = forms.ModelChoiceField(queryset=Organization.objects.none(), label="Client")
    traveler = forms.ModelChoiceField(queryset=User.objects.none())
    title = forms.CharField(max_length=200, help_text="Dealer association meeting")
    destinations = forms.CharField(max_length=300)
    days_before = forms.IntegerField(
        min_value=0, max_value=14, initial=1, label="Leave days before"
    )
    nights = forms.IntegerField(min_value=0, max_value=30, initial=2)
    lead_days = forms.IntegerField(min_value=0, max_value=120, initial=21, label="Book days ahead")
    preferences = forms.CharField(
        max_length=300, required=False, help_text="Aisle seat, the usual hotel..."
    )
    auto_approve_limit = forms.DecimalField(
        min_value=Decimal("0"), max_digits=10, decimal_places=2, initial=0,
        help_text="Booked within this, a trip needs no approval.",
    )  # fmt: skip
    currency = forms.ChoiceField(choices=CURRENCIES, initial="USD")

    def __init__(
        self,
        *args,
        organizations,
        zone: str | None = None,
        routine: RoutineTrip | None = None,
        **kwargs,
    ):
        """A new routine (in the `zone` of the person setting it up, to start with) or, with
        `routine`, a change to one."""
        if routine is not None:
            kwargs.setdefault("initial", self.initial_for(routine))
        super().__init__(*args, **kwargs)
        self.routine = routine
        if routine is not None:
            del self.fields["organization"], self.fields["traveler"]
        else:
            self.fields["organization"].queryset = organizations
            self.fields["traveler"].queryset = _travelers(organizations)
            if zone:
                self.start_today_in(zone)
        self.fields["timezone"].help_text = "The traveler's: the days are counted in it."
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # the page's form tag carries the token
        self.helper.layout = Layout(
            Fieldset(
                "The trip",
                *(name for name in ("organization", "traveler") if name in self.fields),
                Row(Column("title"), Column("destinations")),
            ),
            Fieldset(
                "Around each day",
                Row(Column("days_before"), Column("nights"), Column("lead_days")),
                "preferences",
                Row(Column("auto_approve_limit"), Column("currency")),
            ),
            self.rule_layout(Row(Column("starts_on"), Column("timezone"))),
        )

    def routine_fields(self, template: list) -> RoutineFields:
        data = self.cleaned_data
        return RoutineFields(
            title=data["title"],
            destinations=data["destinations"],
            rrule=data["rrule"],
            timezone=data["timezone"],
            starts_on=data["starts_on"],
            days_before=data["days_before"],
            nights=data["nights"],
            lead_days=data["lead_days"],
            segment_template=template,
            preferences=data["preferences"],
            auto_approve_limit=data["auto_approve_limit"],
            currency=data["currency"],
        )

    @staticmethod
    def initial_for(routine: RoutineTrip) -> dict:
        return {
            **rule_initial(routine.rrule),
            **{
                name: getattr(routine, name)
                for name in (
                    "title", "destinations", "starts_on", "timezone", "days_before", "nights",
                    "lead_days", "preferences", "auto_approve_limit", "currency",
                )
            },
        }  # fmt: skip


TEMPLATE_DAY = date(2026, 6, 1)


class TemplateSegmentForm(forms.Form):
    """One segment of a routine's template: days count from the departure day. Every row is
    optional; a row with a kind is a segment, and then needs its provider and times."""

    # Blank first choices: a row left as the page shows it is an unused row, not a segment.
    kind = forms.ChoiceField(choices=[("", "—"), *Segment.Kind.choices], required=False)
    provider = forms.CharField(max_length=100, required=False)
    number = forms.CharField(max_length=30, required=False)
    origin = forms.CharField(max_length=100, required=False, label="From")
    destination = forms.CharField(max_length=100, required=False, label="To / where")
    day = forms.IntegerField(min_value=0, max_value=30, initial=0, required=False, label="Day")
    start = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}), required=False)
    end_day = forms.IntegerField(
        min_value=0, max_value=30, initial=0, required=False, label="End day"
    )
    end = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}), required=False)
    # Every row's zones share the suggestions of the routine's own zone field.
    start_zone = TimeZoneField(
        required=False,
        label="Zone",
        help_text="Blank is the traveler's.",
        shared_list="id_timezone-zones",
    )
    end_zone = TimeZoneField(
        required=False,
        label="End zone",
        help_text="Blank is the start's.",
        shared_list="id_timezone-zones",
    )
    cost = forms.DecimalField(
        min_value=Decimal("0"), max_digits=10, decimal_places=2, initial=0, required=False
    )
    currency = forms.ChoiceField(
        choices=[("", "—"), *CURRENCIES], required=False, help_text="— is the routine's."
    )

    SEGMENT_NEEDS = {
        "provider": "A segment needs its airline, hotel or company.",
        "start": "A segment needs its start time.",
        "end": "A segment needs its end time.",
    }

    def clean(self):
        data = super().clean()
        if not data.get("kind"):
            if any(data.get(name) for name in ("provider", "number", "origin", "destination")):
                self.add_error("kind", "Choose what this segment is, or empty the row.")
            return data
        for name, message in self.SEGMENT_NEEDS.items():
            if name not in self.errors and not data.get(name):
                self.add_error(name, message)
        data["day"] = data.get("day") or 0
        data["end_day"] = data.get("end_day") or 0
        if data.get("cost") is None and "cost" not in self.errors:
            data["cost"] = Decimal("0")
        if self.errors:
            return data
        # Blank is the traveler's zone, not known here: a blank start can be compared only
        # with an end in the same zone (blank too), and UTC stands in for both.
        if data["end_zone"] and not data["start_zone"]:
            return data
        start_zone = data["start_zone"] or "UTC"
        end_zone = data["end_zone"] or start_zone
        # Any departure day will do to compare: the days count from it.
        start = datetime.combine(TEMPLATE_DAY + timedelta(days=data["day"]), data["start"]).replace(
            tzinfo=zoneinfo.ZoneInfo(start_zone)
        )
        end = datetime.combine(TEMPLATE_DAY + timedelta(days=data["end_day"]), data["end"]).replace(
            tzinfo=zoneinfo.ZoneInfo(end_zone)
        )
        if end < start:
            self.add_error("end", "This ends before it starts: check the days and zones.")
        return data

    @property
    def is_segment(self) -> bool:
        """A valid row that makes a segment (not an empty one, nor one marked for removal)."""
        data = self.cleaned_data
        return bool(data.get("kind")) and not data.get("DELETE")

    def as_template(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "provider": data["provider"],
            "number": data["number"],
            "origin": data["origin"],
            "destination": data["destination"],
            "day": data["day"],
            "start": data["start"].strftime("%H:%M"),
            "end_day": data["end_day"],
            "end": data["end"].strftime("%H:%M"),
            "start_zone": data["start_zone"],
            "end_zone": data["end_zone"],
            "cost": str(data["cost"]),
            "currency": data["currency"],
        }


# A post that claims more rows than six is refused rather than built: a thousand rows, each
# with two lists of every time zone, took minutes and gigabytes to render again.
TemplateSegmentFormSet = forms.formset_factory(
    TemplateSegmentForm, extra=2, max_num=6, absolute_max=6, can_delete=True
)


def segment_template_from(formset) -> list[dict]:
    """The template a valid formset describes: its rows that are segments."""
    return [form.as_template() for form in formset if form.is_segment]


def describe(routine: RoutineTrip) -> str:
    """The rule in words (“On the first Tuesday of the month”), without a time of day."""
    return rule_in_words(routine.rrule, None)
