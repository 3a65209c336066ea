"""The portal's icon: every page links it, and /favicon.ico answers with it."""

import pytest
from django.test import Client
from django.urls import reverse

ICON_LINK = '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">'


def test_pages_link_the_icon(client_for, owner):
    signed_out = Client().get(reverse("accounts:login")).content.decode()
    signed_in = client_for(owner).get(reverse("home")).content.decode()

    assert ICON_LINK in signed_out
    assert ICON_LINK in signed_in


def test_error_pages_link_the_icon_too(client, db, settings):
    settings.DEBUG = False

    assert ICON_LINK in client.get("/no-such-page/").content.decode()


def test_favicon_ico_answers_with_the_icon(client, db):
    response = client.get("/favicon.ico", follow=True)

    assert response.redirect_chain == [("/static/favicon.svg", 302)]
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert b"<svg" in b"".join(response.streaming_content)


@pytest.mark.parametrize("who", ["signed out", "signed in"])
def test_favicon_ico_needs_no_login_and_is_cached_for_a_day(client_for, owner, client, who):
    browser = client_for(owner) if who == "signed in" else client

    response = browser.get("/favicon.ico")

    assert response.status_code == 302
    assert "max-age=86400" in response["Cache-Control"]
