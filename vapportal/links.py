"""Signed links in emails that approve something: they name one row and the request for
approval they were sent with, expire, and say plainly why they no longer work. Each caller
checks that the row still waits for that same request, which makes a link work once, and an
old link useless once the thing was sent back, changed and submitted again."""

from django.core import signing


class LinkError(Exception):
    """The link is tampered with or expired; the message says which."""


def approval_token(*, salt: str, pk: int, request: int = 0) -> str:
    return signing.dumps({"id": pk, "request": request}, salt=salt)


def approval_link_id(token: str, *, salt: str, max_age: int, what: str) -> tuple[int, int]:
    """The id and request a link names, or LinkError: expired (open the <what> instead), or
    not valid."""
    try:
        data = signing.loads(token, salt=salt, max_age=max_age)
        return int(data["id"]), int(data.get("request", 0))
    except signing.SignatureExpired as error:
        raise LinkError(f"This approval link has expired. Open the {what} instead.") from error
    except (signing.BadSignature, KeyError, TypeError, ValueError) as error:
        raise LinkError("This approval link is not valid.") from error
