from django import template

from vapportal import timezones

register = template.Library()


@register.simple_tag
def timezone_datalist(list_id: str, *preferred: str) -> str:
    """One datalist of zone suggestions for the page's fields that share it
    (`TimeZoneField(shared_list=list_id)`): `{% timezone_datalist "zones" user.timezone %}`."""
    return timezones.timezone_datalist(list_id, preferred)
