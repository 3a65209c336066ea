from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clients.models import TeamMember
from tests.factories import TeamMemberFactory


def upload(client, organization, content: bytes, name="team.csv"):
    return client.post(
        f"{reverse('roster:import')}?organization={organization.pk}",
        {"file": SimpleUploadedFile(name, content, content_type="text/csv")},
    )


def test_import_adds_updates_and_reports_each_row(client_for, owner, organization):
    TeamMemberFactory(
        organization=organization,
        name="Tom Brandt",
        email="tom@bergstromcars.example",
        active=False,
    )
    csv = (
        b"name,email,location\n"
        b"Dana Kowalski,dana@bergstromcars.example,Neenah dealership\n"
        b"Tom Brandt,TOM@bergstromcars.example,Appleton dealership\n"
        b",nameless@bergstromcars.example,Neenah\n"
        b"Bad Address,not-an-email,Neenah\n"
        b"Dana Again,dana@bergstromcars.example,Neenah\n"
    )

    response = upload(client_for(owner), organization, csv)

    report = response.context["report"]
    assert [(row.line, row.outcome) for row in report.rows] == [
        (2, "added"),
        (3, "updated"),
        (4, "rejected"),
        (5, "rejected"),
        (6, "rejected"),
    ]
    assert report.rows[2].reason == "The name is empty."
    assert "not-an-email" in report.rows[3].reason
    assert report.rows[4].reason == "This email appears earlier in the file."
    tom = TeamMember.objects.get(email="tom@bergstromcars.example")
    assert (tom.location, tom.active) == ("Appleton dealership", True)
    assert set(TeamMember.objects.values_list("email", flat=True)) == {
        "dana@bergstromcars.example",
        "tom@bergstromcars.example",
    }
    assert "1 added, 1 updated, 0 unchanged, 3 rejected" in response.content.decode()


def test_importing_the_same_file_twice_changes_nothing_the_second_time(
    client_for, owner, organization
):
    csv = b"name,email,location\nDana Kowalski,dana@bergstromcars.example,Neenah\n"
    client = client_for(owner)
    upload(client, organization, csv)

    response = upload(client, organization, csv)

    assert [row.outcome for row in response.context["report"].rows] == ["unchanged"]
    assert TeamMember.objects.count() == 1


def test_a_file_without_the_columns_says_what_it_found_and_changes_nothing(
    client_for, owner, organization
):
    response = upload(client_for(owner), organization, b"who,where\nDana,Neenah\n")

    assert response.status_code == 400
    assert response.context["form"].errors["file"] == [
        "The first line must name the columns name, email, location; it names “who”, “where” "
        "(missing: name, email)."
    ]
    assert not TeamMember.objects.exists()


def test_a_roster_excel_saved_as_csv_utf8_with_semicolons_is_imported(
    client_for, owner, organization
):
    excel = (
        "\ufeffName;Email;Location\r\n"
        "Dana Kowalski;dana@bergstromcars.example;Neenah dealership\r\n"
        "Tom Brandt;tom@bergstromcars.example;Appleton dealership\r\n"
    ).encode()

    response = upload(client_for(owner), organization, excel)

    assert response.status_code == 200
    assert [row.outcome for row in response.context["report"].rows] == ["added", "added"]
    assert set(TeamMember.objects.values_list("name", "email", "location")) == {
        ("Dana Kowalski", "dana@bergstromcars.example", "Neenah dealership"),
        ("Tom Brandt", "tom@bergstromcars.example", "Appleton dealership"),
    }


def test_a_roster_excel_saved_as_plain_csv_on_windows_keeps_its_accents(
    client_for, owner, organization
):
    windows = "name;email;location\r\nRenée Müller;renee@bergstromcars.example;Neenah\r\n"

    response = upload(client_for(owner), organization, windows.encode("cp1252"))

    assert [row.outcome for row in response.context["report"].rows] == ["added"]
    assert TeamMember.objects.get().name == "Renée Müller"


def test_a_file_that_is_not_text_changes_nothing(client_for, owner, organization):
    response = upload(client_for(owner), organization, b"\x89PNG\r\n\x1a\n\xff\xfe\x00binary")

    assert response.status_code == 400
    assert "Save it from the spreadsheet as “CSV UTF-8" in response.content.decode()
    assert not TeamMember.objects.exists()


def test_an_empty_file_changes_nothing(client_for, owner, organization):
    response = upload(client_for(owner), organization, b"name,email,location\n")

    assert response.status_code == 400
    assert "no rows" in response.content.decode()


def test_a_file_over_one_megabyte_is_refused(client_for, owner, organization):
    big = b"name,email,location\n" + b"x" * (1024 * 1024 + 1)

    response = upload(client_for(owner), organization, big)

    assert response.status_code == 400
    assert "larger than 1 MB" in response.content.decode()
    assert not TeamMember.objects.exists()


def test_another_organization_cannot_import_into_this_roster(client_for, outsider, organization):
    response = upload(
        client_for(outsider), organization, b"name,email,location\nX,x@example.com,\n"
    )

    assert response.status_code == 404
    assert not TeamMember.objects.exists()


def test_a_header_with_a_byte_order_mark_and_capitals_is_understood(
    client_for, owner, organization
):
    csv = "\ufeffName,Email,Location\nDana,dana@example.com,Neenah\n".encode()

    response = upload(client_for(owner), organization, csv)

    assert [row.outcome for row in response.context["report"].rows] == ["added"]
