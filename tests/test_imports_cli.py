"""`trackerbox import FILE` on the real Toggl and Kimai exports, through the click command."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from app import db
from app.cli import cli
from app.models import AuditEvent, ImportBatch, Project, ProjectMember, TimeEntry, User
from tests.factories import make_client, make_project

TOGGL = "imports/toggl/detailed_2021_student_project.csv"
TOGGL_TOTAL_SECONDS = 149_108
TOGGL_OPTIONS = ("--create-missing", "--default-project", "STUDENT", "--timezone", "Europe/Berlin")


@pytest.fixture
def run(app, monkeypatch):
    """Invoke the CLI against the test application; returns (exit code, output, parsed JSON or None)."""
    monkeypatch.setattr("app.commands.context._app", app)

    def invoke(*args: str):
        result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
        parsed = None
        if "--json" in args:
            parsed = json.loads(result.stdout)
        return result.exit_code, result.output, parsed

    return invoke


@pytest.fixture
def admin(make_user):
    return make_user("ada", "Administrator", timezone="Europe/Berlin")


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_import_toggl_creates_every_entry(app, run, admin, fixtures_dir):
    code, _, summary = run("import", fixtures_dir / TOGGL, *TOGGL_OPTIONS, "--json")

    assert code == 0
    assert summary["format"] == "toggl_detailed"
    assert summary["rows_read"] == 43
    assert summary["entries_created"] == 43
    assert summary["total_seconds"] == TOGGL_TOTAL_SECONDS
    assert summary["problems"] == []
    assert summary["clients_created"] == 1
    assert summary["projects_created"] == 1
    assert summary["people_created"] == [
        {"login": "worker.one", "name": "Worker One", "email": "worker.one@example.test"}]
    with app.app_context():
        total = db.session.scalar(select(func.sum(TimeEntry.duration_seconds)))
        assert total == TOGGL_TOTAL_SECONDS
        project = db.session.scalar(select(Project).where(Project.code == "STUDENT"))
        assert project.client.name == "No client"
        worker = db.session.scalar(select(User).where(User.login == "worker.one"))
        assert [p.name for p in worker.profiles] == ["Worker"]
        assert worker.timezone == "Europe/Berlin"
        member = db.session.scalar(select(ProjectMember).where(ProjectMember.user_id == worker.id))
        assert member.project_id == project.id


def test_import_toggl_entry_values_exact(app, run, admin, fixtures_dir):
    run("import", fixtures_dir / TOGGL, *TOGGL_OPTIONS)

    with app.app_context():
        first = db.session.scalar(select(TimeEntry).where(TimeEntry.notes == "Implement hello into app as placeholder"))
        assert first.start_at == datetime(2021, 4, 1, 14, 52, 12, tzinfo=timezone.utc)
        assert first.end_at == datetime(2021, 4, 1, 14, 56, 10, tzinfo=timezone.utc)
        assert first.duration_seconds == 238
        assert first.billable is False
        assert first.import_key is not None and len(first.import_key) == 64
        quoted = db.session.scalar(select(TimeEntry).where(TimeEntry.notes.like("Basic buttons for search%")))
        assert quoted.notes == "Basic buttons for search and cart to basic pages, reworking on dropdown menu"


def test_import_toggl_midnight_entry_counts_on_start_day(app, run, admin, fixtures_dir):
    run("import", fixtures_dir / TOGGL, *TOGGL_OPTIONS)

    with app.app_context():
        entry = db.session.scalar(select(TimeEntry).where(TimeEntry.notes == "Adding top banner in basic items"))
        assert entry.start_at == datetime(2021, 5, 7, 20, 12, tzinfo=timezone.utc)
        assert entry.end_at == datetime(2021, 5, 7, 22, 2, tzinfo=timezone.utc)
        assert entry.duration_seconds == 6600
        assert entry.work_date == date(2021, 5, 7)


def test_import_toggl_overlaps_are_warnings(app, run, admin, fixtures_dir):
    code, _, summary = run("import", fixtures_dir / TOGGL, *TOGGL_OPTIONS, "--json")

    assert code == 0
    assert [w["line"] for w in summary["warnings"]] == [18, 31, 32]
    assert "overlaps the entry on line 17" in summary["warnings"][0]["reason"]


def test_import_toggl_again_creates_nothing(app, run, admin, fixtures_dir):
    run("import", fixtures_dir / TOGGL, *TOGGL_OPTIONS)
    code, _, summary = run("import", fixtures_dir / TOGGL, *TOGGL_OPTIONS, "--json")

    assert code == 0
    assert summary["entries_created"] == 0
    assert summary["entries_skipped"] == 43
    assert summary["projects_created"] == 0
    assert summary["people_created"] == []
    assert _count(app, TimeEntry) == 43
    assert _count(app, ImportBatch) == 2


def test_import_toggl_without_options_lists_problems(app, run, admin, fixtures_dir):
    code, output, summary = run("import", fixtures_dir / TOGGL, "--json")

    assert code == 1
    assert summary["entries_created"] == 0
    assert summary["unknown_people"] == ["Worker One"]
    assert len(summary["problems"]) == 86
    assert summary["problems"][0] == {
        "line": 2, "reason": "person 'Worker One (worker.one@example.test)' is not a TrackerBox user; map the name "
                             "to a login or create missing people"}
    assert {p["reason"] for p in summary["problems"][1::2]} == {
        "the row names no project; choose a default project for rows without one"}
    assert _count(app, TimeEntry) == 0
    assert _count(app, User) == 1


def test_import_toggl_text_output_gives_hints(app, run, admin, fixtures_dir):
    code, output, _ = run("import", fixtures_dir / TOGGL)

    assert code == 1
    assert "Problem (lines 2, 3, 4, 5, 6, 7, 8, 9 and 35 more): person 'Worker One" in output
    assert 'Hint: add --map-user "Worker One=LOGIN" or --create-missing.' in output
    assert "Hint: add --default-project CODE" in output
    assert "Nothing was imported" in output


def test_import_toggl_with_mapping_adds_membership(app, run, admin, make_user, fixtures_dir):
    worker = make_user("wone", name="W. One", timezone="Europe/Berlin")
    acme = make_client(app)
    project = make_project(app, acme, "ACME-1")

    code, _, summary = run("import", fixtures_dir / TOGGL, "--map-user", "Worker One=wone",
                           "--default-project", "ACME-1", "--json")

    assert code == 0
    assert summary["entries_created"] == 43
    assert summary["people_created"] == []
    assert summary["timezone"] == "Europe/Berlin"
    with app.app_context():
        owners = set(db.session.scalars(select(TimeEntry.user_id)))
        assert owners == {worker.id}
        assert set(db.session.scalars(select(TimeEntry.project_id))) == {project.id}
        assert db.session.scalar(select(ProjectMember).where(ProjectMember.user_id == worker.id)) is not None


def test_import_dry_run_writes_nothing(app, run, admin, fixtures_dir):
    code, output, summary = run("import", fixtures_dir / TOGGL, *TOGGL_OPTIONS, "--dry-run", "--json")

    assert code == 0
    assert summary["entries_created"] == 43
    assert summary["dry_run"] is True
    assert summary["committed"] is False
    assert _count(app, TimeEntry) == 0
    assert _count(app, Project) == 0
    assert _count(app, User) == 1
    assert _count(app, ImportBatch) == 0


def test_import_is_audited_as_chosen_user(app, run, admin, make_user, fixtures_dir):
    make_user("second", "Administrator")

    code, output, _ = run("import", fixtures_dir / TOGGL, *TOGGL_OPTIONS)
    assert code == 1
    assert "2 users may import data; choose one with --as LOGIN" in output

    code, _, _ = run("import", fixtures_dir / TOGGL, *TOGGL_OPTIONS, "--as", "second")
    assert code == 0
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "data.import"))
        assert event.login == "second"
        assert event.details["entries_created"] == 43
        creators = set(db.session.scalars(
            select(AuditEvent.login).where(AuditEvent.action == "time_entry.create")))
        assert creators == {"second"}


def test_import_as_worker_is_rejected(app, run, admin, make_user, fixtures_dir):
    make_user("wanda")
    code, output, _ = run("import", fixtures_dir / TOGGL, *TOGGL_OPTIONS, "--as", "wanda")

    assert code == 1
    assert "lacks the data.import permission" in output


def test_import_bad_mapping_option_is_rejected(app, run, admin, fixtures_dir):
    code, output, _ = run("import", fixtures_dir / TOGGL, "--map-user", "Worker One")
    assert code == 2
    assert "is not NAME=VALUE" in output

    code, output, summary = run("import", fixtures_dir / TOGGL, "--map-user", "Worker One=nobody", "--json")
    assert code == 1
    assert summary["problems"] == [{"line": 0, "reason": "the mapping Worker One=nobody names no user with login "
                                                         "'nobody'; `trackerbox user list` shows the logins"}]


def test_import_unknown_file_exits_with_reason(app, run, admin, tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("Foo,Bar\n1,2\n", encoding="utf-8")
    code, output, summary = run("import", path, "--json")

    assert code == 2
    assert summary["problems"][0]["line"] == 1
    assert "other.csv line 1: the header is not one TrackerBox can import (columns found: Foo, Bar)" in \
        summary["problems"][0]["reason"]
    assert "Toggl Track detailed report (user, email, project" in summary["problems"][0]["reason"]


def test_import_kimai_customers_then_projects(app, run, admin, fixtures_dir):
    code, _, customers = run("import", fixtures_dir / "imports/kimai/customers.csv", "--json")
    assert code == 0
    assert customers["format"] == "kimai_customers"
    assert customers["rows_read"] == 10
    assert customers["clients_created"] == 10

    code, _, projects = run("import", fixtures_dir / "imports/kimai/projects.csv", "--json")
    assert code == 0
    assert projects["format"] == "kimai_projects"
    assert projects["projects_created"] == 3
    with app.app_context():
        project = db.session.scalar(select(Project).where(Project.code == "P-53400468"))
        assert project.name == "Multi-channelled 4thgeneration strategy"
        assert project.client.name == "Ullrich, Satterfield and Homenick"
        assert project.client.currency == "ZMW"


def test_import_json_has_documented_keys(app, run, admin, fixtures_dir):
    _, _, summary = run("import", fixtures_dir / "imports/kimai/grandtotal_en.csv", "--json")

    assert list(summary)[:7] == ["format", "rows_read", "entries_created", "clients_created", "projects_created",
                                 "problems", "total_seconds"]
    assert summary["format"] == "grandtotal_en"
    assert summary["clients_created"] == 1
    assert summary["total_seconds"] == 0
    assert summary["delimiter"] == ";"


def test_import_missing_file_is_rejected(run, admin, tmp_path):
    code, output, _ = run("import", tmp_path / "nope.csv")
    assert code == 2
    assert "does not exist" in output


def test_import_help_names_options(run):
    code, output, _ = run("import", "--help")
    assert code == 0
    for option in ("--timezone", "--date-order", "--create-missing", "--map-user", "--map-project",
                   "--default-project", "--dry-run", "--json", "--as"):
        assert option in output


def test_fixture_path_is_read_in_place(fixtures_dir):
    assert (fixtures_dir / TOGGL).is_file()
    assert Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures" == fixtures_dir
