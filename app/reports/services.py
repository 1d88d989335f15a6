"""Time reports: hours, billable value, internal cost and budget burn over a period.

Figures come from one aggregate query over the entries the person may see, grouped by
project, person, task and billable flag. Values are then computed in Python with the
same rate order as invoices: person-on-project, task, project, person's default rate.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select

from app import db
from app.errors import UserError
from app.models import Client, EntryStatus, Project, Task, TimeEntry, User
from app.projects.rates import member_rate_map, pick_rate
from app.timesheets.services import visible_entries_query

GROUPINGS = {"project": "Project", "person": "Person", "client": "Client"}
MAX_PERIOD_DAYS = 3 * 366


@dataclass
class ReportRow:
    label: str
    currency: str
    seconds: int = 0
    billable_seconds: int = 0
    approved_seconds: int = 0
    invoiced_seconds: int = 0
    value: Decimal = Decimal(0)
    cost: Decimal = Decimal(0)

    @property
    def value_minor(self) -> int:
        return int(self.value.to_integral_value(rounding=ROUND_HALF_UP))

    @property
    def cost_minor(self) -> int:
        return int(self.cost.to_integral_value(rounding=ROUND_HALF_UP))


@dataclass
class TimeReport:
    start: date
    end: date
    grouping: str
    rows: list[ReportRow] = field(default_factory=list)

    @property
    def total_seconds(self) -> int:
        return sum(row.seconds for row in self.rows)

    @property
    def billable_seconds(self) -> int:
        return sum(row.billable_seconds for row in self.rows)


def parse_period(start_text: str | None, end_text: str | None, today: date) -> tuple[date, date]:
    """Read the period from query text, defaulting to the current month."""
    start = _parse_day(start_text, "start") or today.replace(day=1)
    end = _parse_day(end_text, "end") or (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    if end < start:
        raise UserError(f"end: {end.isoformat()} is before the start {start.isoformat()}; choose a later end",
                        field="end")
    if (end - start).days > MAX_PERIOD_DAYS:
        raise UserError(f"the period {start.isoformat()} to {end.isoformat()} is longer than three years; "
                        "choose a shorter one", field="end")
    return start, end


def _parse_day(text: str | None, field: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"{field}: {text!r} is not a date; use YYYY-MM-DD, for example 2026-03-31", field=field) \
            from None


def build_report(user: User, start: date, end: date, grouping: str) -> TimeReport:
    """Aggregate the visible time of ``start``..``end`` (inclusive) grouped by project, person or client."""
    if grouping not in GROUPINGS:
        raise UserError(f"group: {grouping!r} is not a grouping; choose project, person or client", field="group")
    entries = (
        visible_entries_query(user)
        .where(TimeEntry.work_date.between(start, end), TimeEntry.duration_seconds.is_not(None))
        .subquery()
    )
    rows = db.session.execute(
        select(entries.c.project_id, entries.c.user_id, entries.c.task_id, entries.c.billable, entries.c.status,
               entries.c.invoice_id.is_not(None), func.sum(entries.c.duration_seconds))
        .group_by(entries.c.project_id, entries.c.user_id, entries.c.task_id, entries.c.billable, entries.c.status,
                  entries.c.invoice_id.is_not(None))
    ).all()
    project_ids = {row[0] for row in rows}
    projects = {p.id: p for p in db.session.scalars(select(Project).where(Project.id.in_(project_ids)))}
    clients = {c.id: c for c in db.session.scalars(
        select(Client).where(Client.id.in_({p.client_id for p in projects.values()})))}
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_({row[1] for row in rows})))}
    task_rates = dict(db.session.execute(
        select(Task.id, Task.hourly_rate_minor).where(Task.project_id.in_(project_ids))).all())
    member_rates = member_rate_map(project_ids)

    grouped: dict[tuple, ReportRow] = {}
    for project_id, user_id, task_id, billable, status, invoiced, seconds in rows:
        project, person = projects[project_id], people[user_id]
        client = clients[project.client_id]
        key, label = {
            "project": ((project.id,), f"{project.code} {project.name}"),
            "person": ((person.id, client.currency), f"{person.name} ({client.currency})"),
            "client": ((client.id,), client.name),
        }[grouping]
        row = grouped.setdefault(key, ReportRow(label=label, currency=client.currency))
        seconds = int(seconds or 0)
        row.seconds += seconds
        if status == EntryStatus.APPROVED:
            row.approved_seconds += seconds
        if invoiced:
            row.invoiced_seconds += seconds
        if person.cost_rate_minor is not None and person.currency == client.currency:
            row.cost += Decimal(seconds) * person.cost_rate_minor / 3600
        if billable:
            row.billable_seconds += seconds
            person_rate = person.default_rate_minor if person.currency == client.currency else None
            rate = pick_rate(member_rates.get((project.id, person.id)), task_rates.get(task_id),
                             project.hourly_rate_minor, person_rate)
            if rate.minor is not None:
                row.value += Decimal(seconds) * rate.minor / 3600
    report = TimeReport(start, end, grouping, sorted(grouped.values(), key=lambda r: r.label.lower()))
    return report


def totals_by_currency(report: TimeReport) -> dict[str, tuple[int, int]]:
    """Sum billable value and cost per currency, because rows of different currencies never add up."""
    sums: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for row in report.rows:
        sums[row.currency][0] += row.value
        sums[row.currency][1] += row.cost
    return {currency: (int(v.to_integral_value(rounding=ROUND_HALF_UP)), int(c.to_integral_value(rounding=ROUND_HALF_UP)))
            for currency, (v, c) in sums.items()}
