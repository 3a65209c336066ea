from vapportal.dates import reading_in


class UserTimezoneMiddleware:
    """Pages show times in the signed-in person's own time zone. A page opened without
    signing in has no reader to know: its times name their zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            with reading_in(user.timezone, known=True):
                return self.get_response(request)
        with reading_in(None, known=False):
            return self.get_response(request)
