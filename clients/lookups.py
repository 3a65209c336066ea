"""The organization a page is about, as its request names it."""

from django.http import Http404
from django.shortcuts import get_object_or_404

from vapportal.params import id_or_404

from .models import Organization


def organization_from_request(request) -> Organization:
    """The organization named by `?organization=` (or a posted `organization`), else the
    person's first one by name; 404 for any organization they cannot see."""
    organizations = Organization.objects.visible_to(request.user).order_by("name")
    chosen = request.GET.get("organization") or request.POST.get("organization")
    if chosen:
        return get_object_or_404(organizations, pk=id_or_404(chosen))
    organization = organizations.first()
    if organization is None:
        raise Http404("No organization")
    return organization
