"""Projects through the web pages: create, edit, archive, bad input, scoping, budget and query counts."""
import html
from datetime import date

import pytest
from sqlalchemy import select

from app import db
from app.models import AuditEvent, BillingMethod, Project, TimeEntry
from tests.conftest import csrf_token, sign_in
from tests.factories import count_queries, make_client, make_project


def post(client, url, data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client)})


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def events(app, action):
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def project_by_code(app, code):
    with app.app_context():
        return db.session.scalar(select(Project).where(Project.code == code))


def project_form(default_client_id, **fields):
    data = {"client_id": str(default_client_id), "code": "GLX-WEB", "name": "Website", "billing_method": "hourly",
            "hourly_rate": "95.50", "fixed_fee": "", "budget_hours": "120:30", "budget_money": "12000",
            "manager_id": ""}
    data.update(fields)
    return data


def add_entry(app, project, user, seconds, *, task=None, billable=True):
    with app.app_context(), db.transaction():
        db.session.add(TimeEntry(user_id=user.id, project_id=project.id, task_id=task.id if task else None,
                                 duration_seconds=seconds, timezone="Europe/Berlin", work_date=date(2026, 3, 2),
                                 billable=billable))


@pytest.fixture
def admin(client, make_user):
    user = make_user("ada", "Administrator", name="Ada Admin")
    sign_in(client, "ada")
    return user


def test_project_create_saves_amounts_and_audits(client, admin, app):
    globex = make_client(app, "Globex AG", currency="EUR")
    response = post(client, "/projects/new", project_form(globex.id, manager_id=str(admin.id)))
    assert response.status_code == 302
    project = project_by_code(app, "GLX-WEB")
    assert project.hourly_rate_minor == 9550
    assert project.budget_seconds == 120 * 3600 + 30 * 60
    assert project.budget_minor == 1_200_000
    assert project.manager_id == admin.id
    assert project.fixed_fee_minor is None
    [event] = events(app, "project.create")
    assert event.details["after"]["code"] == "GLX-WEB"
    assert event.details["after"]["hourly_rate_minor"] == 9550


@pytest.mark.parametrize(("typed", "expected_seconds"), [("120", 432000), ("7.5", 27000), ("7,5", 27000),
                                                           ("120:30", 433800), ("", None)])
def test_project_budget_hours_formats(client, admin, app, typed, expected_seconds):
    globex = make_client(app, "Globex AG")
    assert post(client, "/projects/new", project_form(globex.id, budget_hours=typed)).status_code == 302
    assert project_by_code(app, "GLX-WEB").budget_seconds == expected_seconds


def test_project_amounts_in_german_locale(client, make_user, app):
    make_user("dora", "Administrator", locale="de")
    sign_in(client, "dora")
    globex = make_client(app, "Globex AG")
    response = post(client, "/projects/new", project_form(globex.id, hourly_rate="1.234,50", budget_money="20000"))
    assert response.status_code == 302
    assert project_by_code(app, "GLX-WEB").hourly_rate_minor == 123450
    form = client.get(f"/projects/{project_by_code(app, 'GLX-WEB').id}/edit").get_data(as_text=True)
    assert 'value="1234,50"' in form


def test_project_ambiguous_german_amount_rejected(client, make_user, app):
    make_user("dora", "Administrator", locale="de")
    sign_in(client, "dora")
    globex = make_client(app, "Globex AG")
    response = post(client, "/projects/new", project_form(globex.id, hourly_rate="1.234"))
    assert response.status_code == 400
    assert "hourly_rate: '1.234' is ambiguous" in text(response)
    assert project_by_code(app, "GLX-WEB") is None


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("code", "", "code: '' is not a valid project code"),
        ("code", "has space", "code: 'has space' is not a valid project code"),
        ("code", "X" * 31, "is not a valid project code"),
        ("name", "", "name: a value is required"),
        ("client_id", "", "client_id: '' is not a valid choice"),
        ("client_id", "999999", "client_id: no client with id 999999"),
        ("billing_method", "barter", "billing_method: 'barter' is not one of hourly, fixed_fee, non_billable"),
        ("hourly_rate", "-5", "hourly_rate: '-5' is negative"),
        ("hourly_rate", "abc", "hourly_rate: 'abc' is not a valid amount"),
        ("hourly_rate", "1,234", "hourly_rate: '1,234' is ambiguous"),
        ("hourly_rate", "12.345", "hourly_rate: '12.345' has more than 2 decimals"),
        ("hourly_rate", "99999999999", "is larger than the maximum"),
        ("budget_hours", "-3", "budget_hours: '-3' is not a number of hours"),
        ("budget_hours", "0", "budget_hours: '0' is not more than zero"),
        ("budget_hours", "lots", "budget_hours: 'lots' is not a number of hours"),
        ("budget_hours", "12:75", "budget_hours: '12:75' is not a number of hours"),
        ("budget_hours", "200000", "is more than the maximum of 100000 hours"),
        ("budget_money", "1e5", "budget_money: '1e5' is not a valid amount"),
        ("manager_id", "999999", "manager_id: no active user with id 999999"),
        ("manager_id", "me", "manager_id: 'me' is not a valid choice"),
    ],
)
def test_project_create_bad_input(client, admin, app, field, value, expected):
    globex = make_client(app, "Globex AG")
    response = post(client, "/projects/new", project_form(globex.id, **{field: value}))
    assert response.status_code == 400
    assert expected in text(response)
    with app.app_context():
        assert db.session.scalar(select(Project.id)) is None
    assert events(app, "project.create") == []


def test_project_duplicate_code_rejected(client, admin, app):
    globex = make_client(app, "Globex AG")
    make_project(app, globex, "GLX-WEB")
    response = post(client, "/projects/new", project_form(globex.id, code="glx-web"))
    assert response.status_code == 400
    assert "code: a project with code 'glx-web' already exists" in text(response)


def test_project_on_archived_client_rejected(client, admin, app):
    old = make_client(app, "Old Ltd", archived=True)
    response = post(client, "/projects/new", project_form(old.id))
    assert response.status_code == 400
    assert "client 'Old Ltd' is archived" in text(response)


def test_fixed_fee_project_needs_fee(client, admin, app):
    globex = make_client(app, "Globex AG")
    response = post(client, "/projects/new", project_form(globex.id, billing_method="fixed_fee", fixed_fee=""))
    assert response.status_code == 400
    assert "a fixed-fee project needs an agreed fee above zero in EUR" in text(response)
    response = post(client, "/projects/new", project_form(globex.id, billing_method="fixed_fee", fixed_fee="5000"))
    assert response.status_code == 302
    assert project_by_code(app, "GLX-WEB").fixed_fee_minor == 500_000


def test_fee_cleared_for_hourly_project(client, admin, app):
    globex = make_client(app, "Globex AG")
    post(client, "/projects/new", project_form(globex.id, billing_method="hourly", fixed_fee="5000"))
    assert project_by_code(app, "GLX-WEB").fixed_fee_minor is None


def test_yen_rate_has_no_decimals(client, admin, app):
    tokyo = make_client(app, "Tokyo KK", currency="JPY")
    response = post(client, "/projects/new", project_form(tokyo.id, hourly_rate="12000.5", budget_money=""))
    assert response.status_code == 400
    assert "has more than 0 decimals, which JPY does not have" in text(response)
    assert post(client, "/projects/new", project_form(tokyo.id, hourly_rate="12000", budget_money="")).status_code == 302
    assert project_by_code(app, "GLX-WEB").hourly_rate_minor == 12000


def test_project_edit_audits_before_after(client, admin, app):
    globex = make_client(app, "Globex AG")
    project = make_project(app, globex, "GLX-WEB", hourly_rate_minor=9000)
    response = post(client, f"/projects/{project.id}/edit", project_form(globex.id, name="New site", hourly_rate="100"))
    assert response.status_code == 302
    [event] = events(app, "project.update")
    assert event.details["before"]["hourly_rate_minor"] == 9000
    assert event.details["after"]["hourly_rate_minor"] == 10000
    assert event.details["after"]["name"] == "New site"


def test_project_edit_rejects_other_currency_client(client, admin, app):
    globex = make_client(app, "Globex AG", currency="EUR")
    dollars = make_client(app, "Dollar Inc", currency="USD")
    project = make_project(app, globex, "GLX-WEB")
    response = post(client, f"/projects/{project.id}/edit", project_form(dollars.id))
    assert response.status_code == 400
    assert "bills in USD, but this project's amounts are in EUR" in text(response)
    assert project_by_code(app, "GLX-WEB").client_id == globex.id


def test_project_edit_bad_input_keeps_values(client, admin, app):
    globex = make_client(app, "Globex AG")
    project = make_project(app, globex, "GLX-WEB", hourly_rate_minor=9000)
    response = post(client, f"/projects/{project.id}/edit",
                    project_form(globex.id, name="Changed", hourly_rate="-1"))
    assert response.status_code == 400
    unchanged = project_by_code(app, "GLX-WEB")
    assert unchanged.name == "Project GLX-WEB"
    assert unchanged.hourly_rate_minor == 9000


def test_project_archive_and_unarchive(client, admin, app):
    globex = make_client(app, "Globex AG")
    project = make_project(app, globex, "GLX-WEB")
    assert post(client, f"/projects/{project.id}/archive", {}).status_code == 302
    assert project_by_code(app, "GLX-WEB").archived is True
    assert ">GLX-WEB</a>" not in client.get("/projects/").get_data(as_text=True)
    assert ">GLX-WEB</a>" in client.get("/projects/?archived=all").get_data(as_text=True)
    assert post(client, f"/projects/{project.id}/archive", {}).status_code == 409
    assert post(client, f"/projects/{project.id}/unarchive", {}).status_code == 302
    assert len(events(app, "project.archive")) == 1
    assert len(events(app, "project.unarchive")) == 1


def test_project_unarchive_needs_active_client(client, admin, app):
    globex = make_client(app, "Globex AG")
    project = make_project(app, globex, "GLX-WEB", archived=True)
    with app.app_context(), db.transaction():
        db.session.get(type(globex), globex.id).archived = True
    response = post(client, f"/projects/{project.id}/unarchive", {})
    assert response.status_code == 409
    assert "unarchive the client first" in text(response)


def test_project_list_filters(client, admin, make_user, app):
    pia = make_user("pia", "Project Manager", name="Pia Manager")
    globex = make_client(app, "Globex AG")
    acme = make_client(app, "Acme GmbH")
    make_project(app, globex, "GLX-1", manager=pia)
    make_project(app, acme, "ACME-1")
    by_client = client.get(f"/projects/?client={acme.id}").get_data(as_text=True)
    assert ">ACME-1</a>" in by_client
    assert ">GLX-1</a>" not in by_client
    by_manager = client.get(f"/projects/?manager={pia.id}").get_data(as_text=True)
    assert ">GLX-1</a>" in by_manager
    assert ">ACME-1</a>" not in by_manager
    assert client.get("/projects/?client=abc&manager=-1&archived=bogus&page=x").status_code == 200


def test_worker_sees_only_own_projects(client, make_user, app):
    wanda = make_user("wanda", "Worker")
    globex = make_client(app, "Globex AG")
    mine = make_project(app, globex, "MINE", members=[wanda])
    other = make_project(app, globex, "OTHER")
    sign_in(client, "wanda")
    listing = client.get("/projects/").get_data(as_text=True)
    assert ">MINE</a>" in listing
    assert ">OTHER</a>" not in listing
    assert client.get(f"/projects/{mine.id}").status_code == 200
    assert client.get(f"/projects/{other.id}").status_code == 404
    assert client.get(f"/projects/{other.id + 1000}").status_code == 404


def test_worker_cannot_change_projects(client, make_user, app):
    wanda = make_user("wanda", "Worker")
    globex = make_client(app, "Globex AG")
    mine = make_project(app, globex, "MINE", members=[wanda])
    sign_in(client, "wanda")
    assert client.get("/projects/new").status_code == 403
    assert post(client, f"/projects/{mine.id}/edit", project_form(globex.id)).status_code == 403
    assert post(client, f"/projects/{mine.id}/archive", {}).status_code == 403
    page = client.get(f"/projects/{mine.id}").get_data(as_text=True)
    assert "Add task" not in page
    assert "Edit</a>" not in page


def test_worker_page_hides_rates(client, make_user, app):
    wanda = make_user("wanda", "Worker", default_rate_minor=7000)
    globex = make_client(app, "Globex AG")
    mine = make_project(app, globex, "MINE", members=[wanda], hourly_rate_minor=12345)
    sign_in(client, "wanda")
    page = client.get(f"/projects/{mine.id}").get_data(as_text=True)
    assert "123.45" not in page
    assert "Amount used" not in page
    assert "Hours used" in page


def test_project_page_budget_figures(client, admin, make_user, app):
    wanda = make_user("wanda", "Worker", name="Wanda Worker", default_rate_minor=5000)
    bob = make_user("bob", "Worker", name="Bob Builder")
    globex = make_client(app, "Globex AG")
    project = make_project(app, globex, "GLX-WEB", members=[wanda, bob], hourly_rate_minor=None,
                           budget_seconds=10 * 3600, budget_minor=100_000, tasks=("Design", "Build"))
    with app.app_context(), db.transaction():
        loaded = db.session.get(Project, project.id)
        design = next(t for t in loaded.tasks if t.name == "Design")
        design.hourly_rate_minor = 8000
        bob_member = next(m for m in loaded.members if m.user_id == bob.id)
        bob_member.hourly_rate_minor = 12000
        design_id = design.id
    design = type("TaskRef", (), {"id": design_id})
    add_entry(app, project, wanda, 2 * 3600, task=design)      # task rate 80.00 -> 160.00
    add_entry(app, project, wanda, 3600)                       # person rate 50.00 -> 50.00
    add_entry(app, project, bob, 1800, task=design)            # member rate 120.00 -> 60.00
    add_entry(app, project, bob, 3600, billable=False)         # hours only
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "4:30 of 10:00 (45 %)" in page
    assert "€270.00 of €1,000.00 (27 %)" in page
    assert "person-on-project rate" in page
    assert "person&#39;s default rate" in page


def test_project_page_warns_about_unpriced_time(client, admin, make_user, app):
    wanda = make_user("wanda", "Worker", default_rate_minor=None)
    globex = make_client(app, "Globex AG")
    project = make_project(app, globex, "GLX-WEB", members=[wanda], hourly_rate_minor=None)
    add_entry(app, project, wanda, 5400)
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "1:30 hours of billable time have no rate" in page


def test_person_rate_in_other_currency_not_used(client, admin, make_user, app):
    sam = make_user("sam", "Worker", name="Sam Dollar", currency="USD", default_rate_minor=9000)
    globex = make_client(app, "Globex AG", currency="EUR")
    project = make_project(app, globex, "GLX-WEB", members=[sam], hourly_rate_minor=None)
    add_entry(app, project, sam, 3600)
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "The default rate is in USD, so it does not apply here." in page
    assert "€0.00" in page


def _project_page_queries(app, client, project_id):
    with count_queries(app) as counter:
        assert client.get(f"/projects/{project_id}").status_code == 200
    return counter.count


def test_project_page_query_count_constant(client, admin, make_user, app):
    globex = make_client(app, "Globex AG")
    few_people = [make_user(f"few{n}", "Worker") for n in range(2)]
    many_people = [make_user(f"many{n}", "Worker") for n in range(12)]
    small = make_project(app, globex, "SMALL", members=few_people, tasks=("A",))
    large = make_project(app, globex, "LARGE", members=many_people, tasks=tuple(f"T{n}" for n in range(12)))
    for person in few_people:
        add_entry(app, small, person, 3600)
    for person in many_people:
        add_entry(app, large, person, 3600)
        add_entry(app, large, person, 1800, billable=False)
    small_count = _project_page_queries(app, client, small.id)
    assert small_count > 0
    assert _project_page_queries(app, client, large.id) == small_count


def test_project_list_query_count_constant(client, admin, make_user, app):
    globex = make_client(app, "Globex AG")
    pia = make_user("pia", "Project Manager")
    make_project(app, globex, "P-00", manager=pia)
    with count_queries(app) as few:
        client.get("/projects/")
    for number in range(1, 30):
        other = make_client(app, f"Client {number}")
        project = make_project(app, other, f"P-{number:02d}", manager=pia)
        add_entry(app, project, pia, 3600)
    with count_queries(app) as many:
        page = client.get("/projects/").get_data(as_text=True)
    assert ">P-29</a>" in page
    assert few.count > 0
    assert many.count == few.count


def test_project_page_shows_fixed_fee_and_billing(client, admin, app):
    globex = make_client(app, "Globex AG")
    project = make_project(app, globex, "GLX-FIX", billing_method=BillingMethod.FIXED_FEE, fixed_fee_minor=500_000)
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "Fixed fee" in page
    assert "€5,000.00" in page
