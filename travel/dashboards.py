from .models import Trip
from .zones import today_for


def travel_dashboard(user) -> dict:
    """Trips for the dashboard: waiting for approval and coming up (owners), to book by
    departure (assistants). Three queries whatever the number of trips."""
    trips = Trip.objects.visible_to(user).select_related("organization")
    return {
        "trips_awaiting": trips.filter(status=Trip.Status.AWAITING_APPROVAL).order_by("depart_on")[
            :10
        ],
        "trips_coming": trips.filter(
            status=Trip.Status.BOOKED, return_on__gte=today_for(user)
        ).order_by("depart_on")[:5],
        "trips_to_book": trips.filter(
            status__in=[Trip.Status.REQUESTED, Trip.Status.PLANNING]
        ).order_by("depart_on")[:10],
    }
