"""Signed links in emails that approve something: they name one row, expire, and say
plainly why they no longer work. Each caller checks that the row still waits for approval,
which makes a link work once."""

from django.core import signing


class LinkError(Exception):
    """The link is tampered with or expired; the message says which."""


def approval_token(*, salt: str, pk: int) -> str:
    return signing.dumps({"id": pk}, salt=salt)


def approval_link_id(token: str, *, salt: str, max_age: int, what: str) -> int:
    """The id a link names, or LinkError: “expired, open the <what> instead”, or not valid."""
    try:
        return int(signing.loads(token, salt=salt, max_age=max_age)["id"])
    except signing.SignatureExpired as error:
        raise LinkError(f"This approval link has expired. Open the {what} instead.") from error
    except (signing.BadSignature, KeyError, TypeError, ValueError) as error:
        raise LinkError("This approval link is not valid.") from error
