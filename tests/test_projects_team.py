"""Tasks and members of a project: who may change them, rates and audit."""
import html

import pytest
from sqlalchemy import select

from app import db
from app.models import AuditEvent, ProfilePermission, Project, ProjectMember, SecurityProfile, Task, User
from tests.conftest import csrf_token, sign_in
from tests.factories import make_client, make_project


def post(client, url, data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client)})


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def events(app, action):
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def tasks_of(app, project):
    with app.app_context():
        return {t.name: t for t in db.session.scalars(select(Task).where(Task.project_id == project.id))}


def members_of(app, project):
    with app.app_context():
        rows = db.session.scalars(select(ProjectMember).where(ProjectMember.project_id == project.id))
        return {m.user_id: m for m in rows}


@pytest.fixture
def setup(app, make_user):
    """A project managed by Pia (Project Manager) with Wanda as member and one task."""
    pia = make_user("pia", "Project Manager", name="Pia Manager")
    wanda = make_user("wanda", "Worker", name="Wanda Worker", default_rate_minor=6000)
    bob = make_user("bob", "Worker", name="Bob Builder")
    globex = make_client(app, "Globex AG")
    project = make_project(app, globex, "GLX-WEB", manager=pia, members=[wanda], hourly_rate_minor=9000)
    return {"pia": pia, "wanda": wanda, "bob": bob, "project": project}


def test_manager_adds_task_with_rate(client, app, setup):
    project = setup["project"]
    sign_in(client, "pia")
    response = post(client, f"/projects/{project.id}/tasks", {"name": "Testing", "billable": "y",
                                                                "hourly_rate": "75"})
    assert response.status_code == 302
    task = tasks_of(app, project)["Testing"]
    assert task.billable is True
    assert task.hourly_rate_minor == 7500
    [event] = events(app, "task.create")
    assert event.details["after"] == {"project_id": project.id, "name": "Testing", "billable": True,
                                      "hourly_rate_minor": 7500, "archived": False}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"name": ""}, "name: a value is required"),
        ({"name": "development"}, "already has a task named 'development'"),
        ({"name": "QA", "hourly_rate": "-1"}, "hourly_rate: '-1' is negative"),
        ({"name": "QA", "hourly_rate": "1,234"}, "hourly_rate: '1,234' is ambiguous"),
    ],
)
def test_task_add_bad_input(client, app, setup, data, expected):
    project = setup["project"]
    sign_in(client, "pia")
    response = post(client, f"/projects/{project.id}/tasks", data)
    assert response.status_code == 400
    assert expected in text(response)
    assert set(tasks_of(app, project)) == {"Development"}


def test_task_edit_keeps_rate_for_people_without_rates(client, app, make_user):
    nora = make_user("nora", "Worker", name="Nora")
    with app.app_context(), db.transaction():
        profile = SecurityProfile(name="Planner", description="Manages projects without seeing rates")
        profile.permissions = [ProfilePermission(permission=p) for p in ("projects.view", "projects.manage")]
        db.session.add(profile)
        planner = db.session.get(User, nora.id)
        planner.profiles.append(profile)
    globex = make_client(app, "Globex AG")
    project = make_project(app, globex, "GLX-WEB")
    with app.app_context(), db.transaction():
        db.session.get(Project, project.id).tasks[0].hourly_rate_minor = 8800
    task = tasks_of(app, project)["Development"]
    sign_in(client, "nora")
    edit_page = client.get(f"/projects/{project.id}/tasks/{task.id}/edit").get_data(as_text=True)
    assert "Hourly rate" not in edit_page
    response = post(client, f"/projects/{project.id}/tasks/{task.id}/edit", {"name": "Dev", "billable": "y"})
    assert response.status_code == 302
    assert tasks_of(app, project)["Dev"].hourly_rate_minor == 8800
    forbidden = post(client, f"/projects/{project.id}/tasks/{task.id}/edit", {"name": "Dev", "hourly_rate": "1"})
    assert forbidden.status_code == 403
    assert tasks_of(app, project)["Dev"].hourly_rate_minor == 8800


def test_task_edit_and_archive(client, app, setup):
    project = setup["project"]
    task = tasks_of(app, project)["Development"]
    sign_in(client, "pia")
    form = client.get(f"/projects/{project.id}/tasks/{task.id}/edit").get_data(as_text=True)
    assert 'value="Development"' in form
    assert post(client, f"/projects/{project.id}/tasks/{task.id}/edit",
                {"name": "Build", "hourly_rate": ""}).status_code == 302
    assert tasks_of(app, project)["Build"].billable is False
    assert post(client, f"/projects/{project.id}/tasks/{task.id}/archive", {}).status_code == 302
    assert tasks_of(app, project)["Build"].archived is True
    assert post(client, f"/projects/{project.id}/tasks/{task.id}/archive", {}).status_code == 409
    assert post(client, f"/projects/{project.id}/tasks/{task.id}/unarchive", {}).status_code == 302
    [update] = events(app, "task.update")
    assert update.details["before"]["name"] == "Development"
    assert update.details["after"]["billable"] is False
    assert len(events(app, "task.archive")) == 1


def test_task_of_other_project_not_found(client, app, setup):
    project = setup["project"]
    other = make_project(app, make_client(app, "Acme GmbH"), "ACME-1", manager=setup["pia"])
    foreign_task = tasks_of(app, other)["Development"]
    sign_in(client, "pia")
    assert client.get(f"/projects/{project.id}/tasks/{foreign_task.id}/edit").status_code == 404
    assert post(client, f"/projects/{project.id}/tasks/{foreign_task.id}/archive", {}).status_code == 404


def test_member_add_with_rate_and_remove(client, app, setup):
    project, bob = setup["project"], setup["bob"]
    sign_in(client, "pia")
    response = post(client, f"/projects/{project.id}/members", {"user_id": str(bob.id), "hourly_rate": "110"})
    assert response.status_code == 302
    member = members_of(app, project)[bob.id]
    assert member.hourly_rate_minor == 11000
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "Bob Builder" in page
    assert "€110.00" in page
    assert post(client, f"/projects/{project.id}/members/{member.id}/remove", {}).status_code == 302
    assert bob.id not in members_of(app, project)
    [added] = events(app, "project_member.add")
    assert added.details["after"]["hourly_rate_minor"] == 11000
    [removed] = events(app, "project_member.remove")
    assert removed.details["before"]["user_id"] == bob.id


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"user_id": "999999"}, "user_id: no active user with id 999999"),
        ({"user_id": "x"}, "user_id: 'x' is not a valid choice"),
        ({"user_id": "WANDA", "hourly_rate": "-3"}, "hourly_rate: '-3' is negative"),
    ],
)
def test_member_add_bad_input(client, app, setup, data, expected):
    project = setup["project"]
    data = {key: str(setup["wanda"].id) if value == "WANDA" else value for key, value in data.items()}
    sign_in(client, "pia")
    response = post(client, f"/projects/{project.id}/members", data)
    assert response.status_code == 400
    assert expected in text(response)
    assert set(members_of(app, project)) == {setup["wanda"].id}


def test_member_added_twice_rejected(client, app, setup):
    project, wanda = setup["project"], setup["wanda"]
    sign_in(client, "pia")
    response = post(client, f"/projects/{project.id}/members", {"user_id": str(wanda.id)})
    assert response.status_code == 400
    assert "Wanda Worker is already a member of project GLX-WEB" in text(response)


def test_member_rate_shows_which_rate_applies(client, app, setup):
    project, wanda = setup["project"], setup["wanda"]
    member = members_of(app, project)[wanda.id]
    sign_in(client, "pia")
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "€90.00 <span class=\"hint\">(project rate)</span>" in page
    assert post(client, f"/projects/{project.id}/members/{member.id}/rate", {"hourly_rate": "99.90"}).status_code == 302
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "€99.90 <span class=\"hint\">(person-on-project rate)</span>" in page
    assert 'value="99.90"' in page
    [event] = events(app, "project_member.update")
    assert event.details["before"]["hourly_rate_minor"] is None
    assert event.details["after"]["hourly_rate_minor"] == 9990
    assert post(client, f"/projects/{project.id}/members/{member.id}/rate", {"hourly_rate": ""}).status_code == 302
    assert members_of(app, project)[wanda.id].hourly_rate_minor is None


def test_member_rate_bad_input(client, app, setup):
    project, wanda = setup["project"], setup["wanda"]
    member = members_of(app, project)[wanda.id]
    sign_in(client, "pia")
    response = post(client, f"/projects/{project.id}/members/{member.id}/rate", {"hourly_rate": "ten"})
    assert response.status_code == 400
    assert "hourly_rate: 'ten' is not a valid amount" in text(response)
    assert members_of(app, project)[wanda.id].hourly_rate_minor is None


def test_person_default_rate_applies_without_project_rate(client, app, make_user):
    pia = make_user("pia", "Project Manager")
    wanda = make_user("wanda", "Worker", name="Wanda Worker", default_rate_minor=6000)
    project = make_project(app, make_client(app, "Globex AG"), "GLX-WEB", manager=pia, members=[wanda],
                           hourly_rate_minor=None)
    sign_in(client, "pia")
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "€60.00 <span class=\"hint\">(person&#39;s default rate)</span>" in page


def test_manager_of_other_project_cannot_change_team(client, app, setup, make_user):
    make_user("otto", "Project Manager")
    project = setup["project"]
    sign_in(client, "otto")
    assert client.get(f"/projects/{project.id}").status_code == 404
    assert post(client, f"/projects/{project.id}/tasks", {"name": "Sneaky"}).status_code == 404
    assert post(client, f"/projects/{project.id}/members", {"user_id": str(setup["bob"].id)}).status_code == 404


def test_member_cannot_change_team(client, app, setup):
    project = setup["project"]
    member = members_of(app, project)[setup["wanda"].id]
    task = tasks_of(app, project)["Development"]
    sign_in(client, "wanda")
    assert client.get(f"/projects/{project.id}").status_code == 200
    assert post(client, f"/projects/{project.id}/tasks", {"name": "Sneaky"}).status_code == 403
    assert client.get(f"/projects/{project.id}/tasks/{task.id}/edit").status_code == 403
    assert post(client, f"/projects/{project.id}/members", {"user_id": str(setup["bob"].id)}).status_code == 403
    assert post(client, f"/projects/{project.id}/members/{member.id}/remove", {}).status_code == 403
    assert post(client, f"/projects/{project.id}/members/{member.id}/rate", {"hourly_rate": "1"}).status_code == 403
    assert set(tasks_of(app, project)) == {"Development"}
    assert setup["wanda"].id in members_of(app, project)


def test_manager_cannot_edit_project_itself(client, app, setup):
    project = setup["project"]
    sign_in(client, "pia")
    assert client.get(f"/projects/{project.id}/edit").status_code == 403
    assert post(client, f"/projects/{project.id}/archive", {}).status_code == 403


def test_member_of_other_project_not_found(client, app, setup):
    project = setup["project"]
    other = make_project(app, make_client(app, "Acme GmbH"), "ACME-1", manager=setup["pia"], members=[setup["bob"]])
    foreign = members_of(app, other)[setup["bob"].id]
    sign_in(client, "pia")
    assert post(client, f"/projects/{project.id}/members/{foreign.id}/remove", {}).status_code == 404
    assert setup["bob"].id in members_of(app, other)
