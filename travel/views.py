from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, DecimalField, F, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from clients.models import Organization
from tasks.recurring_forms import is_hand_written
from vapportal.dates import day_text, reading_in
from vapportal.params import typed_text

from . import calendars, services, zones
from .forms import (
    DecisionForm,
    RoutineForm,
    SegmentForm,
    TemplateSegmentFormSet,
    TravelProfileForm,
    TripForm,
    describe,
    segment_template_from,
)
from .models import RoutineTrip, Segment, TravelProfile, Trip
from .services import TravelError


def _organizations(user):
    """Clients the person plans travel for: their own, or those they assist."""
    return Organization.objects.worked_in_by(user).order_by("name")


def _trip(request, pk: int) -> Trip:
    return get_object_or_404(
        Trip.objects.visible_to(request.user).select_related(
            "organization",
            "traveler",
            "requested_by",
            "booked_by",
            "approved_by",
            "routine",
            "task",
        ),
        pk=pk,
    )


def _with_totals(trips):
    live = ~Q(segments__status=Segment.Status.CANCELLED)
    return trips.annotate(
        total=Coalesce(
            Sum("segments__cost", filter=live & Q(segments__currency=F("currency"))),
            Value(0),
            output_field=DecimalField(),
        ),
        segment_count=Count("segments", filter=live),
    )


PAST_TRIPS_SHOWN = 10


@login_required
def trip_list(request):
    """Owners: trips awaiting their approval, then the coming ones. Assistants: trips to book,
    by departure, then the booked ones. Both: the latest trips travelled."""
    trips = Trip.objects.visible_to(request.user).select_related("organization", "traveler")
    is_assistant = hasattr(request.user, "assistant_profile")
    to_book = trips.filter(status__in=[Trip.Status.REQUESTED, Trip.Status.PLANNING]).order_by(
        "depart_on", "id"
    )
    awaiting = trips.filter(status=Trip.Status.AWAITING_APPROVAL).order_by("depart_on", "id")
    today = zones.today_for(request.user)
    coming = trips.filter(status=Trip.Status.BOOKED, return_on__gte=today).order_by(
        "depart_on", "id"
    )
    past = trips.filter(
        status__in=[Trip.Status.BOOKED, Trip.Status.COMPLETED], return_on__lt=today
    ).order_by("-return_on", "-id")
    year = today.year
    routine_trips_this_year = trips.filter(
        traveler=request.user,
        routine__isnull=False,
        status__in=[Trip.Status.BOOKED, Trip.Status.COMPLETED],
        depart_on__year=year,
    ).count()
    return render(
        request,
        "travel/trip_list.html",
        {
            "to_book": _with_totals(to_book)[:100],
            "awaiting": _with_totals(awaiting)[:100],
            "coming": _with_totals(coming)[:100],
            "past": _with_totals(past)[:PAST_TRIPS_SHOWN],
            "is_assistant": is_assistant,
            "routine_trips_this_year": routine_trips_this_year,
            "year": year,
            "alerts": RoutineTrip.objects.visible_to(request.user)
            .exclude(alert="")
            .select_related("organization"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def trip_new(request):
    organizations = _organizations(request.user)
    if not organizations.exists():
        raise Http404
    form = TripForm(request.POST or None, organizations=organizations, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            trip = services.trip_request(
                actor=request.user,
                organization=data["organization"],
                traveler=data["traveler"],
                purpose=data["purpose"],
                destinations=data["destinations"],
                depart_on=data["depart_on"],
                return_on=data["return_on"],
                flexibility=data["flexibility"],
                notes=data["notes"],
            )
        except TravelError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Trip requested: it is in your assistant's queue.")
            return redirect(trip)
    return render(request, "travel/trip_form.html", {"form": form})


@login_required
def trip_detail(request, pk: int):
    trip = _trip(request, pk)
    segments = list(trip.segments.all())
    has_live_segments = any(s.status != Segment.Status.CANCELLED for s in segments)
    total, one_currency = services.trip_total(trip)
    user = request.user
    start_zone, end_zone = zones.next_segment_zones(trip, segments)
    can_plan = services.may_work_on(user, trip.organization) and trip.is_open
    return render(
        request,
        "travel/trip_detail.html",
        {
            "trip": trip,
            "segments": segments,
            "total": total,
            "one_currency": one_currency,
            "events": trip.events.select_related("actor"),
            "segment_form": SegmentForm(
                initial={"start_zone": start_zone, "end_zone": end_zone, "currency": trip.currency}
            ),
            # Open for the first segment, and again for the next one after each is added.
            "adding": not has_live_segments or "adding" in request.GET,
            "decision_form": DecisionForm(),
            "can_plan": can_plan,
            "can_book": can_plan
            and has_live_segments
            and trip.status in (Trip.Status.REQUESTED, Trip.Status.PLANNING),
            "is_client": services.is_client(user, trip.organization),
            "thanked": trip.task_id and trip.task.acknowledgements.filter(from_user=user).exists(),
        },
    )


def _refuse_or(request, trip: Trip, action, done, *, then: str = ""):
    """Run the service; a refusal becomes a message, a stranger a 404. `done` is the success
    message, or a function of the service's result that says it; `then` where to go next
    (the trip's page unless given)."""
    try:
        result = action()
    except PermissionDenied as error:
        raise Http404 from error
    except TravelError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done(result) if callable(done) else done)
    return redirect(then or trip.get_absolute_url())


@login_required
@require_POST
def segment_add(request, pk: int):
    trip = _trip(request, pk)
    form = SegmentForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "travel/segment_form.html",
            {"trip": trip, "form": form},
            status=400,
        )
    return _refuse_or(
        request,
        trip,
        lambda: services.segment_add(actor=request.user, trip=trip, fields=form.segment_fields()),
        "Segment added.",
        then=f"{trip.get_absolute_url()}?adding#add-segment",
    )


def _segment(request, pk: int) -> Segment:
    return get_object_or_404(
        Segment.objects.filter(trip__in=Trip.objects.visible_to(request.user)).select_related(
            "trip__organization"
        ),
        pk=pk,
    )


@login_required
@require_http_methods(["GET", "POST"])
def segment_edit(request, pk: int):
    segment = _segment(request, pk)
    trip = segment.trip
    form = SegmentForm(request.POST or None, initial=SegmentForm.initial_for(segment))
    if request.method == "POST" and form.is_valid():
        return _refuse_or(
            request,
            trip,
            lambda: services.segment_change(
                actor=request.user, segment=segment, fields=form.segment_fields()
            ),
            "Segment changed.",
        )
    return render(
        request, "travel/segment_form.html", {"trip": trip, "form": form, "segment": segment}
    )


@login_required
@require_POST
def segment_cancel(request, pk: int):
    segment = _segment(request, pk)
    return _refuse_or(
        request,
        segment.trip,
        lambda: services.segment_cancel(actor=request.user, segment=segment),
        "Segment cancelled.",
    )


@login_required
@require_POST
def trip_act(request, pk: int, action: str):
    trip = _trip(request, pk)
    note = typed_text(request.POST.get("note"), max_length=300)
    act, done = {
        "book": (
            lambda: services.trip_book(actor=request.user, trip=trip),
            lambda booked: (
                "Booked: the itinerary is on its way to the traveler."
                if booked.status == Trip.Status.BOOKED
                else "Sent to the owner for approval."
            ),
        ),
        "approve": (
            lambda: services.trip_approve(actor=request.user, trip=trip, note=note),
            "Approved: the trip is booked.",
        ),
        "decline": (
            lambda: services.trip_decline(actor=request.user, trip=trip, note=note),
            "Declined: the trip is back with your assistant.",
        ),
        "complete": (
            lambda: services.trip_complete(actor=request.user, trip=trip),
            "Trip completed.",
        ),
        "thank": (
            lambda: services.trip_thank(
                actor=request.user,
                trip=trip,
                note=typed_text(request.POST.get("note"), max_length=2000),
            ),
            "Thank you sent.",
        ),
    }[action]
    return _refuse_or(request, trip, act, done)


@login_required
@require_http_methods(["GET", "POST"])
def trip_cancel(request, pk: int):
    """Cancelling cannot be undone: a page says what it does, and only its form cancels."""
    trip = _trip(request, pk)
    if request.method == "POST":
        note = typed_text(request.POST.get("note"), max_length=300)
        return _refuse_or(
            request,
            trip,
            lambda: services.trip_cancel(actor=request.user, trip=trip, note=note),
            "Trip cancelled.",
        )
    if not services.may_work_on(request.user, trip.organization):
        raise Http404
    if not trip.is_open:
        messages.error(request, f"The trip is {trip.get_status_display().lower()}.")
        return redirect(trip)
    return render(
        request,
        "travel/trip_cancel.html",
        {
            "trip": trip,
            "segments": list(trip.segments.exclude(status=Segment.Status.CANCELLED)),
            "task_open": trip.task_id and trip.task.status in services.OPEN_TASK,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def approve_link(request, token: str):
    """The link in the approval email: it shows the trip and asks to confirm."""
    try:
        trip = services.trip_from_approval_token(token)
    except TravelError as error:
        return render(request, "link_invalid.html", {"reason": error}, status=410)
    if not services.is_client(request.user, trip.organization):
        raise Http404
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        note = form.cleaned_data["note"]
        try:
            if request.POST.get("decision") == "decline":
                services.trip_decline(actor=request.user, trip=trip, note=note)
                messages.success(request, "Declined: the trip is back with your assistant.")
            else:
                services.trip_approve(actor=request.user, trip=trip, note=note)
                messages.success(request, "Approved: the trip is booked.")
        except TravelError as error:
            return render(request, "link_invalid.html", {"reason": error}, status=410)
        return redirect(trip)
    total, _ = services.trip_total(trip)
    return render(
        request,
        "travel/approve.html",
        {
            "trip": trip,
            "form": form,
            "total": total,
            "segments": trip.segments.exclude(status="cancelled"),
        },
    )


@login_required
def itinerary(request, pk: int):
    trip = _trip(request, pk)
    # Printed, it goes where the traveler goes: every time names its zone.
    with reading_in(request.user.timezone, known=False):
        return render(
            request,
            "travel/itinerary.html",
            {"trip": trip, "segments": trip.segments.exclude(status=Segment.Status.CANCELLED)},
        )


@login_required
def itinerary_ics(request, pk: int):
    trip = _trip(request, pk)
    response = HttpResponse(
        calendars.trip_calendar(trip), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="trip-{trip.pk}.ics"'
    return response


def feed(request, token: str):
    """The traveler's calendar feed: a secret link, no login; a new link ends the old one."""
    profile = get_object_or_404(TravelProfile.objects.select_related("traveler"), feed_token=token)
    if not profile.traveler.is_active:
        raise Http404
    response = HttpResponse(
        calendars.feed_calendar(profile), content_type="text/calendar; charset=utf-8"
    )
    response["Cache-Control"] = "private, no-store"
    return response


# Profiles -------------------------------------------------------------------------------------


def _traveler(request, user_id: int | None) -> User:
    if user_id is None or user_id == request.user.pk:
        return request.user
    traveler = get_object_or_404(User, pk=user_id, is_active=True)
    if not services.may_see_profile(request.user, traveler):
        raise Http404
    return traveler


@login_required
@require_http_methods(["GET", "POST"])
def profile(request, user_id: int | None = None):
    traveler = _traveler(request, user_id)
    travel_profile = services.profile_for(traveler)
    may_edit = services.may_reveal(request.user, traveler)
    masked = {
        name: services.mask(getattr(travel_profile, name)) for name in TravelProfile.SENSITIVE
    }
    form = (
        TravelProfileForm(request.POST or None, instance=travel_profile, masked=masked)
        if may_edit
        else None
    )
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            services.profile_save(actor=request.user, profile=travel_profile, **form.changes())
            messages.success(request, "Travel profile saved.")
            return redirect(request.path)
    return render(
        request,
        "travel/profile.html",
        {
            "traveler": traveler,
            "profile": travel_profile,
            "form": form,
            "masked": {
                name: services.mask(getattr(travel_profile, name))
                for name in TravelProfile.SENSITIVE
            },
            "may_reveal": may_edit,
            "is_self": traveler.pk == request.user.pk,
            "feed_url": request.build_absolute_uri(f"/travel/feed/{travel_profile.feed_token}.ics")
            if traveler.pk == request.user.pk
            else "",
        },
    )


@login_required
@require_POST
def profile_reveal(request, user_id: int):
    traveler = _traveler(request, user_id)
    travel_profile = services.profile_for(traveler)
    try:
        revealed = services.profile_reveal(actor=request.user, profile=travel_profile)
    except PermissionDenied as error:
        raise Http404 from error
    response = render(request, "travel/revealed.html", {"traveler": traveler, "revealed": revealed})
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def feed_regenerate(request):
    """A new link ends every subscription to the old one: a page says so, and only its form
    makes the new link."""
    if request.method == "GET":
        return render(request, "travel/feed_regenerate.html")
    services.feed_token_regenerate(actor=request.user, profile=services.profile_for(request.user))
    messages.success(request, "A new calendar link is ready; the old one no longer works.")
    return redirect("travel:profile")


# Routines -------------------------------------------------------------------------------------


def _routine(request, pk: int) -> RoutineTrip:
    return get_object_or_404(
        RoutineTrip.objects.visible_to(request.user).select_related("organization", "traveler"),
        pk=pk,
    )


@login_required
def routine_list(request):
    routines = list(
        RoutineTrip.objects.visible_to(request.user)
        .select_related("organization", "traveler")
        .annotate(trip_count=Count("trips"))
        .order_by("state", "title")
    )
    for routine in routines:
        routine.description = describe(routine)
    return render(request, "travel/routine_list.html", {"routines": routines})


def _template_formset(request, routine: RoutineTrip | None):
    initial = routine.segment_template if routine else []
    return TemplateSegmentFormSet(request.POST or None, initial=initial, prefix="segments")


def _saving(request) -> bool:
    """A post to save, not the Preview button (which shows the coming days without JS)."""
    return request.method == "POST" and "preview" not in request.POST


@login_required
@require_http_methods(["GET", "POST"])
def routine_new(request):
    organizations = _organizations(request.user)
    if not organizations.exists():
        raise Http404
    form = RoutineForm(
        request.POST or None, organizations=organizations, zone=request.user.timezone
    )
    formset = _template_formset(request, None)
    if _saving(request) and form.is_valid() and formset.is_valid():
        try:
            routine = services.routine_create(
                actor=request.user,
                organization=form.cleaned_data["organization"],
                traveler=form.cleaned_data["traveler"],
                fields=form.routine_fields(segment_template_from(formset)),
            )
        except TravelError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Routine trip set up.")
            return redirect(routine)
    return render(
        request,
        "travel/routine_form.html",
        {"form": form, "formset": formset, "preview": form.preview()},
    )


@login_required
@require_POST
def routine_preview(request):
    """The htmx partial under the schedule: the rule in words and its next days."""
    form = RoutineForm(request.POST, organizations=_organizations(request.user))
    return render(request, "tasks/recurring_preview.html", {"preview": form.preview()})


@login_required
@require_http_methods(["GET", "POST"])
def routine_detail(request, pk: int):
    """The routine, its coming days and trips; editing it changes coming occurrences only."""
    routine = _routine(request, pk)
    form = RoutineForm(request.POST or None, organizations=None, routine=routine)
    formset = _template_formset(request, routine)
    if _saving(request) and form.is_valid() and formset.is_valid():
        try:
            services.routine_update(
                actor=request.user,
                routine=routine,
                fields=form.routine_fields(segment_template_from(formset)),
            )
        except PermissionDenied as error:
            raise Http404 from error
        except TravelError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Saved: coming trips follow the new settings.")
            return redirect(routine)
    return render(
        request,
        "travel/routine_detail.html",
        {
            "routine": routine,
            "description": describe(routine),
            "upcoming": services.upcoming_occurrences(routine),
            "trips": routine.trips.select_related("traveler").order_by("-occurrence_date")[:20],
            "form": form,
            "formset": formset,
            "preview": form.preview(),
            "hand_written": is_hand_written(routine.rrule),
            "can_manage": services.may_work_on(request.user, routine.organization),
        },
    )


@login_required
@require_POST
def routine_act(request, pk: int, action: str):
    routine = _routine(request, pk)
    try:
        if action == "skip":
            day = date.fromisoformat(request.POST.get("day", ""))
            services.routine_skip(actor=request.user, routine=routine, day=day)
            done = f"{day_text(day)} is skipped."
        else:
            state = {"pause": "paused", "resume": "active", "end": "ended"}[action]
            services.routine_set_state(actor=request.user, routine=routine, state=state)
            done = {"pause": "Paused.", "resume": "Resumed.", "end": "Ended."}[action]
    except PermissionDenied as error:
        raise Http404 from error
    except (TravelError, ValueError) as error:
        messages.error(request, str(error) if isinstance(error, TravelError) else "Choose a day.")
    else:
        messages.success(request, done)
    return redirect(routine)
