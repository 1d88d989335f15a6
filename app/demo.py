"""A realistic demo company for trying TrackerBox: people, clients, projects and eight weeks of work.

Everything is created through the same services the web pages use, so the demo data
obeys every rule (overlaps, approvals, invoice numbering) and leaves a full audit trail.
The generator is deterministic for a given start date.
"""
from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, g
from sqlalchemy import select

from app import company, db
from app.auth import services as accounts
from app.errors import UserError
from app.money import format_plain
from app.expenses import expense_reports
from app.expenses.services import ExpenseInput, create_expense
from app.invoices.drafts import create_draft_invoice
from app.invoices.services import issue_invoice
from app.invoices.taxes import all_tax_rates, create_tax_rate
from app.models import Client, ExpenseCategory, Project, TimeEntry, Timesheet, User
from app.payments.services import record_payment
from app.projects import client_services, team_services
from app.projects.services import create_project
from app.security import passwords
from app.timesheets import approval
from app.timesheets.services import create_entry

log = logging.getLogger(__name__)

ZONE = "Europe/Berlin"
WEEKS = 8

PEOPLE = [
    # login, name, profiles, default hourly rate, cost rate (EUR cents)
    ("admin.demo", "Hanna Hauptmann", ["Administrator"], None, None),
    ("paula", "Paula Planer", ["Project Manager"], 12000, 6500),
    ("peter", "Peter Projekt", ["Project Manager"], 11000, 6000),
    ("anna", "Anna Abrechnung", ["Account Manager"], None, 5000),
    ("carl", "Carl Kunde", ["Client Manager"], None, 5000),
    ("wendy", "Wendy Werk", ["Worker"], 9000, 4500),
    ("walter", "Walter Weber", ["Worker"], 8500, 4200),
    ("wes", "Wes Wagner", ["Worker"], 9500, 4800),
]
CLIENTS = [
    {"name": "Acme Maschinenbau AG", "currency": "EUR", "payment_terms_days": "30", "tax_id": "DE123456789",
     "address": "Industriestrasse 12\n70565 Stuttgart\nGermany", "contact_name": "Dora Dreher",
     "contact_email": "einkauf@acme.example"},
    {"name": "Globex Logistics B.V.", "currency": "EUR", "payment_terms_days": "14", "tax_id": "NL001234567B01",
     "address": "Havenweg 4\n3011 AA Rotterdam\nNetherlands", "contact_name": "Joost Jansen",
     "contact_email": "ap@globex.example"},
    {"name": "Initech Ltd", "currency": "GBP", "payment_terms_days": "45", "tax_id": "GB987654321",
     "address": "1 Office Park\nAustin Road\nLondon EC1A 1AA\nUnited Kingdom", "contact_name": "Bill Lumbergh",
     "contact_email": "accounts@initech.example"},
]
PROJECTS = [
    # client index, code, name, billing method, rate, fixed fee, budget hours, manager, workers
    (0, "ACME-WEB", "Customer portal relaunch", "hourly", "120.00", "", "400", "paula", ["wendy", "walter"]),
    (0, "ACME-OPS", "Support and operations", "hourly", "95.00", "", "", "peter", ["wes", "walter"]),
    (1, "GLX-ROUTE", "Route planning study", "fixed_fee", "", "18000.00", "150", "paula", ["wendy", "wes"]),
    (1, "GLX-API", "Carrier API integration", "hourly", "110.00", "", "250", "peter", ["walter", "wes"]),
    (2, "INI-TPS", "TPS report automation", "hourly", "105.00", "", "200", "paula", ["wendy", "wes"]),
    (2, "INT-ADMIN", "Internal administration", "non_billable", "", "", "", "peter", ["wendy", "walter", "wes"]),
]
TASKS = [("Design", True), ("Development", True), ("Testing", True), ("Meetings", False)]
NOTES = ["Workshop with the client", "Implemented search filters", "Fixed login redirect", "Code review",
         "Sprint planning", "Wrote acceptance tests", "Deployment to staging", "Performance tuning",
         "Customer call, follow-up notes", "Data model changes", "Documentation update", "Bug triage"]


@dataclass
class DemoResult:
    passwords: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


def _office_today() -> date:
    """Return today's date in the demo office's zone; approvals are dated there too."""
    return datetime.now(ZoneInfo(ZONE)).date()


def _as(user: User) -> User:
    """Attribute the following audit records to ``user`` (the CLI has no signed-in person)."""
    g.cli_actor = user
    return user


def create_demo_company(today: date, *, password: str | None = None) -> DemoResult:
    """Fill an empty box with the demo company; raises UserError when clients already exist."""
    if db.session.scalar(select(Client.id).limit(1)) is not None:
        raise UserError("demo data not added: this box already contains clients; use an empty box")
    rng = random.Random(today.toordinal())
    result = DemoResult()
    people = _create_people(result, password)
    admin = _as(people["admin.demo"])
    _configure_company()
    clients = _create_clients(people)
    projects = _create_projects(admin, clients, people)
    monday = today - timedelta(days=today.weekday())
    weeks = [monday - timedelta(weeks=n) for n in range(WEEKS, 0, -1)]
    result.counts["time entries"] = _log_time(rng, people, projects, weeks + [monday], today)
    result.counts["approved weeks"] = _submit_and_approve(people, projects, weeks)
    result.counts["expenses"] = _record_expenses(rng, people, projects, weeks)
    result.counts["invoices"] = _invoice_and_collect(people, clients, weeks)
    result.counts["people"] = len(people)
    result.counts["clients"] = len(clients)
    result.counts["projects"] = len(projects)
    log.info("demo company created: %s", result.counts)
    return result


def _create_people(result: DemoResult, password: str | None) -> dict[str, User]:
    key = current_app.extensions["trackerbox_keys"]["password"]
    rounds = current_app.config["TRACKERBOX"].bcrypt_rounds
    shared_hash = passwords.hash_password(password, key, rounds) if password else None
    people = {}
    for login, name, profiles, rate, cost in PEOPLE:
        user, one_time = accounts.create_user(login, name, profiles=profiles, email=f"{login}@northwind.example",
                                              timezone=ZONE, locale="de" if login.startswith("w") else "en",
                                              default_rate_minor=rate, cost_rate_minor=cost)
        if shared_hash:
            user.password_hash = shared_hash
            user.must_change_password = False
        result.passwords[login] = password or one_time
        people[login] = user
    return people


def _configure_company() -> None:
    company.set_value("company_name", "Northwind Consulting GmbH")
    company.set_value("company_address", "Rosenthaler Strasse 40\n10178 Berlin\nGermany")
    company.set_value("company_tax_id", "DE298765432")
    company.set_value("company_email", "billing@northwind.example")
    company.set_value("company_bank_details", "IBAN DE02 1001 0010 0123 4567 89, BIC PBNKDEFF")
    create_tax_rate("VAT 19 %", "19")
    create_tax_rate("VAT 7 %", "7")
    create_tax_rate("UK VAT 20 %", "20")


def _create_clients(people: dict[str, User]) -> list[Client]:
    clients = [client_services.create_client(values) for values in CLIENTS]
    client_services.add_client_manager(clients[2], str(people["carl"].id))
    client_services.add_client_manager(clients[1], str(people["carl"].id))
    return clients


def _create_projects(admin: User, clients: list[Client], people: dict[str, User]) -> list[Project]:
    projects = []
    for client_index, code, name, method, rate, fee, budget, manager, workers in PROJECTS:
        project = create_project(admin, {
            "client_id": str(clients[client_index].id), "code": code, "name": name, "billing_method": method,
            "hourly_rate": rate, "fixed_fee": fee, "budget_hours": budget, "budget_money": "",
            "manager_id": str(people[manager].id),
        })
        for task_name, billable in TASKS:
            team_services.add_task(admin, project, {"name": task_name,
                                                    "billable": billable and method != "non_billable"})
        for login in [manager, *workers]:
            team_services.add_member(admin, project, {"user_id": str(people[login].id)})
        projects.append(project)
    return projects


def _log_time(rng: random.Random, people, projects: list[Project], mondays: list[date], today: date) -> int:
    """Log a working day of three or four entries per person, back to back from 08:30 local time."""
    count = 0
    zone = ZoneInfo(ZONE)
    for login in ("wendy", "walter", "wes", "paula", "peter"):
        user = _as(people[login])
        own = [p for p in projects if any(m.user_id == user.id for m in p.members)]
        for monday in mondays:
            for offset in range(5):
                day = monday + timedelta(days=offset)
                if day >= today:
                    break
                clock = datetime.combine(day, time(8, 30), zone)
                for _ in range(rng.choice((3, 3, 4)) if login.startswith("w") else 1):
                    project = rng.choice(own)
                    task = rng.choice([t for t in project.tasks if t.billable] or project.tasks)
                    minutes = rng.choice((60, 90, 120, 150, 180))
                    end = clock + timedelta(minutes=minutes)
                    create_entry(user, project=project, task=task, start=clock, end=end, notes=rng.choice(NOTES))
                    clock = end + timedelta(minutes=rng.choice((0, 15, 30)))
                    count += 1
    return count


def _submit_and_approve(people, projects: list[Project], mondays: list[date]) -> int:
    """Submit every finished week; approve all but the last, and reject one project-week once."""
    approved = 0
    managers = {p.id: people[next(m for m in ("paula", "peter") if people[m].id == p.manager_id)] for p in projects}
    for login in ("wendy", "walter", "wes", "paula", "peter"):
        owner = _as(people[login])
        for index, monday in enumerate(mondays):
            timesheet = approval.submit_week(owner, monday)
            if index == len(mondays) - 1:
                continue
            approved += _decide_week(timesheet, managers, people, reject_first=(login == "walter" and index == 2))
    return approved


def _decide_week(timesheet: Timesheet, managers, people, *, reject_first: bool) -> int:
    project_ids = sorted(set(db.session.scalars(
        select(TimeEntry.project_id).where(TimeEntry.timesheet_id == timesheet.id).distinct()
    )))
    for project_id in project_ids:
        manager = managers[project_id]
        if manager.id == timesheet.user_id:
            manager = people["admin.demo"]
        _as(manager)
        part = approval.get_part_for(manager, timesheet.id, project_id)
        if reject_first:
            approval.reject_part(manager, part, "Please split the workshop time into design and meetings.")
            owner = _as(timesheet.user)
            approval.submit_week(owner, timesheet.week_start)
            _as(manager)
            part = approval.get_part_for(manager, timesheet.id, project_id)
            reject_first = False
        approval.approve_part(manager, part, "")
    return 1


def _record_expenses(rng: random.Random, people, projects: list[Project], mondays: list[date]) -> int:
    categories = {c.name: c for c in db.session.scalars(select(ExpenseCategory))}
    count = 0
    for login in ("wendy", "walter", "wes"):
        user = _as(people[login])
        own = [p for p in projects if any(m.user_id == user.id for m in p.members)]
        expense_ids = []
        for monday in mondays[:-2]:
            project = rng.choice(own)
            day = monday + timedelta(days=rng.randint(0, 4))
            if rng.random() < 0.5:
                data = ExpenseInput(expense_date=day, project_id=project.id, category_id=categories["Mileage"].id,
                                    distance=str(rng.randint(20, 180)), notes="Client visit by car")
            else:
                gross = rng.choice(("23.80", "119.00", "59.50"))
                if user.locale == "de":
                    gross = gross.replace(".", ",")
                data = ExpenseInput(expense_date=day, project_id=project.id, category_id=categories["Travel"].id,
                                    amount=gross, tax="", currency=project.client.currency,
                                    notes="Train ticket to the client")
            expense_ids.append(create_expense(user, data).id)
            count += 1
        report = expense_reports.create_report(user, f"Travel {mondays[0].isoformat()} to {mondays[-3].isoformat()}",
                                               expense_ids)
        expense_reports.submit_report(user, report.id)
        _approve_report(report, people)
    return count


def _approve_report(report, people) -> None:
    project_ids = sorted({expense.project_id for expense in report.expenses})
    for project_id in project_ids:
        project = db.session.get(Project, project_id)
        manager = _as(db.session.get(User, project.manager_id))
        expense_reports.decide_part(manager, report.id, project_id, "approve", "")
    anna = _as(people["anna"])
    expense_reports.reimburse_report(anna, report.id, _office_today(), f"Payroll {report.id:04d}")


def _invoice_and_collect(people, clients: list[Client], mondays: list[date]) -> int:
    """Invoice the first six approved weeks per client.

    Globex's invoice is dated at the end of that period and left unpaid, so it is overdue;
    Acme pays in full and Initech pays half.
    """
    anna = _as(people["anna"])
    taxes = {rate.name: rate.id for rate in all_tax_rates()}
    period_end = mondays[5] + timedelta(days=6)
    plans = [(clients[1], "VAT 19 %", period_end), (clients[0], "VAT 19 %", None), (clients[2], "UK VAT 20 %", None)]
    issued = {}
    for client, tax_name, issue_date in plans:
        draft = create_draft_invoice(anna, client_id=client.id, period_start=mondays[0], period_end=period_end,
                                     grouping="task", tax_rate_ids=[taxes[tax_name]],
                                     notes="Thank you for your business.")
        issued[client.id] = issue_invoice(anna, draft.invoice.id, issue_date=issue_date)
    paid_in_full, paid_in_part = issued[clients[0].id], issued[clients[2].id]
    record_payment(anna, paid_in_full.id, payment_date=_office_today(), method="bank_transfer",
                   amount=format_plain(paid_in_full.total_minor, paid_in_full.currency),
                   reference="Acme remittance 2026-114")
    record_payment(anna, paid_in_part.id, payment_date=_office_today(), method="bank_transfer",
                   amount=format_plain(paid_in_part.total_minor // 2, paid_in_part.currency),
                   reference="Partial payment, rest announced")
    return len(issued)
