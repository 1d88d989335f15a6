"""The import service on clients, projects, every time format, encodings and the rules of time entries."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from app import company, db
from app.imports.services import run_import
from app.imports.summary import ImportOptions
from app.imports.values import DateOrder
from app.models import Client, ProfilePermission, Project, SecurityProfile, TimeEntry, User
from app.security.permissions import Permission
from tests.conftest import acting_as
from tests.factories import make_client, make_project

TOGGL = "imports/toggl/detailed_2021_student_project.csv"
CUSTOMERS = "imports/kimai/customers.csv"
KIMAI_PROJECTS = "imports/kimai/projects.csv"
TOGGL_OPTIONS = {"create_missing": True, "default_project": "STUDENT", "timezone": "Europe/Berlin"}
CLOCKIFY = (
    "Project,Client,Description,Task,User,Group,Email,Tags,Billable,Start Date,Start Time,End Date,End Time,"
    "Duration (h),Duration (decimal),Billable Rate (USD),Billable Amount (USD)\n"
    'Website,"Acme, Inc.",Landing page,Design,Jane Doe,,jane@example.test,,Yes,'
    "03/04/2021,09:30:00 PM,03/04/2021,11:15:00 PM,01:45:00,1.75,100.00,175.00\n"
    "Website,\"Acme, Inc.\",Review,Design,Jane Doe,,jane@example.test,,No,"
    "04/05/2021,08:00:00 AM,04/05/2021,08:30:00 AM,00:30:00,0.50,100.00,50.00\n"
)
HARVEST = (
    "Date,Client,Project,Project Code,Task,Notes,Hours,Hours Rounded,Billable?,Invoiced?,Approved?,First Name,"
    "Last Name,Roles,Employee?,Billable Rate,Billable Amount,Cost Rate,Cost Amount,Currency,External Reference URL\n"
    "2021-03-04,Acme GmbH,Website relaunch,WEB-1,Design,Mock-ups,1.5,1.5,Yes,No,Yes,Jane,Doe,Designer,Yes,"
    "100,150,40,60,EUR,\n"
    "2021-03-05,Acme GmbH,Website relaunch,WEB-1,Design,\"Mock-ups, second round\",2.25,2.25,No,No,Yes,Jane,Doe,"
    "Designer,Yes,100,225,40,90,EUR,\n"
)
KIMAI_TIMESHEET = (
    "Date,From,To,Duration,Rate,User,Customer,Project,Activity,Description,Exported,Tags,Hourly rate\n"
    "2021-03-04,22:00,01:30,3:30,0,jane,Acme GmbH,Website relaunch,Design,Late fix,0,,100\n"
)


@pytest.fixture
def admin(make_user):
    return make_user("ada", "Administrator", timezone="Europe/Berlin")


@pytest.fixture
def importer(app, admin):
    """Run one import as the administrator; returns the summary."""

    def run(data: bytes | str, filename: str = "export.csv", **options):
        if isinstance(data, str):
            data = data.encode("utf-8")
        with acting_as(app, admin) as session:
            return run_import(data, filename, ImportOptions(**options), session.get(User, admin.id))

    return run


def _clients(app) -> dict[str, Client]:
    with app.app_context():
        return {c.name: c for c in db.session.scalars(select(Client))}


# Kimai customers and projects
def test_kimai_customers_create_clients(app, importer, fixtures_dir):
    summary = importer((fixtures_dir / CUSTOMERS).read_bytes(), "customers.csv")

    assert summary.problems == []
    assert summary.clients_created == 10
    clients = _clients(app)
    assert sorted(clients) == [
        "Cassin LLC", "Gaylord-Kling", "Kub, Lowe and Daugherty", "Nitzsche, Pfeffer and Dickens",
        "Smitham, Balistreri and Ondricka", "Stanton PLC", "Test", "Toy, Larson and Schaefer",
        "Ullrich, Cruickshank and Emard", "Ullrich, Satterfield and Homenick",
    ]
    assert {name: c.currency for name, c in clients.items()} == {
        "Cassin LLC": "EUR", "Gaylord-Kling": "NPR", "Kub, Lowe and Daugherty": "HRK",
        "Nitzsche, Pfeffer and Dickens": "JMD", "Smitham, Balistreri and Ondricka": "RUB", "Stanton PLC": "GNF",
        "Test": "LKR", "Toy, Larson and Schaefer": "USD", "Ullrich, Cruickshank and Emard": "GHS",
        "Ullrich, Satterfield and Homenick": "ZMW",
    }
    cassin = clients["Cassin LLC"]
    assert cassin.address == "Cassin Limited\n7170 Scottie Motorway Suite 828\nBridgettestad, MO 04855-1492\nYE"
    assert cassin.tax_id == "AT U33445071"
    assert [name for name, c in clients.items() if c.archived] == ["Smitham, Balistreri and Ondricka"]


def test_kimai_customers_zones_in_summary(importer, fixtures_dir):
    summary = importer((fixtures_dir / CUSTOMERS).read_bytes(), "customers.csv", dry_run=True)

    zones = {c["name"]: c["timezone"] for c in summary.created_clients}
    assert zones["Cassin LLC"] == "Pacific/Pitcairn"
    assert zones["Gaylord-Kling"] == "Europe/Kiev"
    assert zones["Kub, Lowe and Daugherty"] == "America/Indiana/Knox"
    assert summary.created_clients[0]["notes"].startswith("Et placeat error esse rerum.")


def test_kimai_customers_again_skipped(app, importer, fixtures_dir):
    importer((fixtures_dir / CUSTOMERS).read_bytes())
    summary = importer((fixtures_dir / CUSTOMERS).read_bytes())

    assert summary.clients_created == 0
    assert summary.clients_skipped == 10
    assert len(_clients(app)) == 10


@pytest.mark.parametrize("old, new, reason", [
    ("Pacific/Pitcairn", "Pacific/Atlantis", "time zone 'Pacific/Atlantis' is not a known IANA zone"),
    (",YE,EUR,", ",YE,EURO,", "currency: currency 'EURO' is not an ISO 4217 code"),
    ("1,Et placeat", "maybe,Et placeat", "visible value 'maybe' is not 1 or 0"),
])
def test_kimai_customer_bad_row_stops_import(app, importer, fixtures_dir, old, new, reason):
    data = (fixtures_dir / CUSTOMERS).read_text(encoding="utf-8").replace(old, new, 1)
    summary = importer(data)

    assert [p.line for p in summary.problems] == [2]
    assert summary.problems[0].reason.startswith(reason)
    assert _clients(app) == {}


def test_kimai_projects_need_customers(app, importer, fixtures_dir):
    summary = importer((fixtures_dir / KIMAI_PROJECTS).read_bytes())

    assert [p.line for p in summary.problems] == [2, 3, 4]
    assert summary.problems[0].reason == (
        "customer 'Ullrich, Satterfield and Homenick' of project 'Multi-channelled 4thgeneration strategy' is not "
        "a TrackerBox client; import the customer file first or create missing clients")


def test_kimai_projects_create_missing_clients(app, importer, fixtures_dir):
    summary = importer((fixtures_dir / KIMAI_PROJECTS).read_bytes(), create_missing=True)

    assert summary.problems == []
    assert summary.projects_created == 3
    assert summary.clients_created == 3
    with app.app_context():
        projects = {p.code: (p.name, p.client.name, p.client.currency) for p in db.session.scalars(select(Project))}
    assert projects == {
        "P-53400468": ("Multi-channelled 4thgeneration strategy", "Ullrich, Satterfield and Homenick", "EUR"),
        "P-58944387": ("Multi-channelled background workforce", "Stanton PLC", "EUR"),
        "P-17219648": ("Multi-channelled transitional data-warehouse", "Gaylord-Kling", "EUR"),
    }


def test_kimai_projects_again_skipped(importer, fixtures_dir):
    importer((fixtures_dir / CUSTOMERS).read_bytes())
    importer((fixtures_dir / KIMAI_PROJECTS).read_bytes())
    summary = importer((fixtures_dir / KIMAI_PROJECTS).read_bytes())

    assert summary.projects_created == 0
    assert summary.projects_skipped == 3


# GrandTotal
def test_grandtotal_german_then_english(app, importer, fixtures_dir):
    german = importer((fixtures_dir / "imports/kimai/grandtotal_de.csv").read_bytes())
    english = importer((fixtures_dir / "imports/kimai/grandtotal_en.csv").read_bytes())

    assert german.clients_created == 2
    assert english.clients_created == 0
    assert english.clients_skipped == 1
    keleo = _clients(app)["Keleo"]
    assert keleo.contact_name == "Bc Alex Example"
    assert keleo.contact_email == "contact@example.test"
    assert keleo.address == "IT Abteilung\nAcme Street\nDowntown\n1022 Vienna\nDE"
    assert keleo.tax_id == "DE1234567890"
    assert keleo.currency == "EUR"
    assert german.created_clients[0]["notes"] == "sakdjhfg laksjhdfasd f#asd\nfas\ndfasdfasdf\nasdfasdfasdf"


def test_grandtotal_windows_1252_umlauts(app, importer, fixtures_dir):
    text = (fixtures_dir / "imports/kimai/grandtotal_de.csv").read_text(encoding="utf-8")
    summary = importer(text.replace("Keleo", "Kéleo Gärten").encode("cp1252"))

    assert summary.encoding == "windows-1252"
    assert summary.clients_created == 2
    assert "Kéleo Gärten" in _clients(app)


# Toggl encodings
def test_toggl_bom_version_matches_plain(app, importer, fixtures_dir):
    plain = (fixtures_dir / TOGGL).read_bytes()
    first = importer(plain, **TOGGL_OPTIONS)
    second = importer(b"\xef\xbb\xbf" + plain, **TOGGL_OPTIONS)

    assert first.entries_created == 43
    assert second.encoding == "utf-8-sig"
    assert second.entries_created == 0
    assert second.entries_skipped == 43


def test_toggl_windows_1252_note(app, importer, fixtures_dir):
    text = (fixtures_dir / TOGGL).read_text(encoding="utf-8").replace("Citations", "Citations für das Café")
    summary = importer(text.encode("cp1252"), **TOGGL_OPTIONS)

    assert summary.encoding == "windows-1252"
    assert summary.entries_created == 43
    with app.app_context():
        assert db.session.scalar(select(TimeEntry.id).where(TimeEntry.notes == "Citations für das Café"))


# Clockify, Harvest, Kimai timesheets
def test_clockify_ambiguous_dates_need_order(app, importer):
    summary = importer(CLOCKIFY, create_missing=True)

    assert summary.needs_date_order is True
    assert summary.problems[0].reason.startswith("the dates in export.csv are ambiguous: 03/04/2021 on line 2")
    with app.app_context():
        assert db.session.scalar(select(TimeEntry.id)) is None


def test_clockify_day_first_import(app, importer):
    summary = importer(CLOCKIFY, create_missing=True, date_order=DateOrder.DMY, timezone="America/New_York")

    assert summary.problems == []
    assert summary.entries_created == 2
    assert summary.total_seconds == 6300 + 1800
    assert summary.tasks_created == 1
    with app.app_context():
        entry = db.session.scalar(select(TimeEntry).where(TimeEntry.notes == "Landing page"))
        assert entry.start_at == datetime(2021, 4, 4, 1, 30, tzinfo=timezone.utc)
        assert entry.work_date == date(2021, 4, 3)
        assert entry.billable is True
        assert entry.task.name == "Design"
        assert entry.project.client.name == "Acme, Inc."
        assert entry.user.login == "jane"


def test_harvest_duration_entries_by_project_code(app, importer, make_user):
    make_user("jdoe", name="Jane Doe")
    project = make_project(app, make_client(app, "Acme GmbH"), "WEB-1", name="Relaunch", tasks=("Design",))
    summary = importer(HARVEST)

    assert summary.problems == []
    assert summary.entries_created == 2
    assert summary.total_seconds == 5400 + 8100
    with app.app_context():
        entries = list(db.session.scalars(select(TimeEntry).order_by(TimeEntry.work_date)))
        assert [(e.work_date, e.duration_seconds, e.start_at) for e in entries] == [
            (date(2021, 3, 4), 5400, None), (date(2021, 3, 5), 8100, None)]
        assert {e.project_id for e in entries} == {project.id}
        assert [e.billable for e in entries] == [True, False]
        assert entries[1].notes == "Mock-ups, second round"


def test_harvest_unknown_task_is_problem(app, importer, make_user):
    make_user("jdoe", name="Jane Doe")
    make_project(app, make_client(app, "Acme GmbH"), "WEB-1", tasks=("Development",))
    summary = importer(HARVEST)

    assert [p.line for p in summary.problems] == [2, 3]
    assert summary.problems[0].reason == ("task 'Design' is not a task of project WEB-1; add it to the project "
                                          "or create missing tasks")


def test_kimai_timesheet_crossing_midnight(app, importer, make_user):
    make_user("jane", timezone="Europe/Berlin")
    make_project(app, make_client(app, "Acme GmbH"), "WEB-1", name="Website relaunch", tasks=("Design",))
    summary = importer(KIMAI_TIMESHEET, timezone="Europe/Berlin")

    assert summary.problems == []
    with app.app_context():
        entry = db.session.scalar(select(TimeEntry))
        assert entry.start_at == datetime(2021, 3, 4, 21, 0, tzinfo=timezone.utc)
        assert entry.end_at == datetime(2021, 3, 5, 0, 30, tzinfo=timezone.utc)
        assert entry.work_date == date(2021, 3, 4)


# Rules of time entries
def test_locked_period_stops_whole_import(app, admin, make_user, fixtures_dir):
    with acting_as(app, admin):
        company.set_value("locked_until", "2021-05-01")
        profile = SecurityProfile(name="Importer", permissions=[
            ProfilePermission(permission=Permission.DATA_IMPORT.value)])
        db.session.add(profile)
    clerk = make_user("clerk", "Importer")
    with acting_as(app, clerk) as session:
        summary = run_import((fixtures_dir / TOGGL).read_bytes(), "toggl.csv", ImportOptions(**TOGGL_OPTIONS),
                             session.get(User, clerk.id))

    assert [p.line for p in summary.problems] == [2, 3, 4, 5, 6, 7, 8]
    assert "closed period" in summary.problems[0].reason
    with app.app_context():
        assert db.session.scalar(select(TimeEntry.id)) is None
        assert db.session.scalar(select(Project.id)) is None
        assert db.session.scalar(select(User.id).where(User.login == "worker.one")) is None


def test_zero_duration_row_skipped_with_warning(app, importer, fixtures_dir):
    text = (fixtures_dir / TOGGL).read_text(encoding="utf-8").replace(
        "2021-05-19,21:00:14,2021-05-19,21:31:14,00:31:00", "2021-05-19,21:00:14,2021-05-19,21:00:14,00:00:00")
    summary = importer(text, **TOGGL_OPTIONS)

    assert summary.entries_created == 42
    assert (42, "the entry lasts zero seconds; it is skipped") in [(w.line, w.reason) for w in summary.warnings]


def test_duration_column_mismatch_warns(importer, fixtures_dir):
    text = (fixtures_dir / TOGGL).read_text(encoding="utf-8").replace(",00:31:00,", ",01:31:00,")
    summary = importer(text, **TOGGL_OPTIONS, dry_run=True)

    assert summary.problems == []
    assert (42, "the duration column says 1:31:00 but the times give 0:31:00; the times are used") in [
        (w.line, w.reason) for w in summary.warnings]


def test_time_skipped_by_dst_is_problem(importer, fixtures_dir):
    text = (fixtures_dir / TOGGL).read_text(encoding="utf-8").replace(
        "2021-04-01,16:52:12,2021-04-01,16:56:10", "2021-03-28,02:30:00,2021-03-28,03:30:00")
    summary = importer(text, **TOGGL_OPTIONS)

    assert [(p.line, p.reason) for p in summary.problems] == [(2, (
        "the time 2021-03-28 02:30:00 does not exist in Europe/Berlin because the clocks were put forward; check "
        "the time zone chosen for the import"))]


def test_mapping_to_unknown_project_is_problem(importer, fixtures_dir):
    summary = importer((fixtures_dir / TOGGL).read_bytes(), project_map={"Anything": "NOPE"})

    assert [(p.line, p.reason) for p in summary.problems] == [
        (0, "the mapping Anything=NOPE names no project with code 'NOPE'")]


def test_default_project_by_name(app, importer, fixtures_dir):
    project = make_project(app, make_client(app), "SP-1", name="Student project")
    summary = importer((fixtures_dir / TOGGL).read_bytes(), create_missing=True, default_project="student project")

    assert summary.problems == []
    assert summary.projects_created == 0
    with app.app_context():
        assert set(db.session.scalars(select(TimeEntry.project_id))) == {project.id}


def test_archived_default_project_is_problem(app, importer, fixtures_dir):
    make_project(app, make_client(app), "OLD-1", archived=True)
    summary = importer((fixtures_dir / TOGGL).read_bytes(), create_missing=True, default_project="OLD-1")

    assert len(summary.problems) == 43
    assert "archived" in summary.problems[0].reason
