"""Figures for the project page: budget use and the rate that applies to each member.

Hours used count every finished time entry of the project. Money used counts the
billable entries only, each valued at hours x the rate resolved for its person and task
(person-on-project, task, project, then the person's default rate). A person's default
rate counts only when it is in the project's currency.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from app import db
from app.models import Project, ProjectMember, TimeEntry, User
from app.projects.rates import ResolvedRate, member_rate_map, pick_rate
from app.projects.scoping import get_project_for

RATE_SOURCE_LABELS = {
    "member": "person-on-project rate",
    "task": "task rate",
    "project": "project rate",
    "person": "person's default rate",
    "none": "no rate",
}


@dataclass(frozen=True)
class BudgetUse:
    """Time and money used on a project against its budgets; money in minor units of ``currency``."""

    currency: str
    seconds_used: int
    budget_seconds: int | None
    money_used_minor: int
    budget_minor: int | None
    # Billable seconds for which no rate could be resolved, so they add nothing to money used.
    unpriced_seconds: int

    @property
    def hours_percent(self) -> int | None:
        return _percent(self.seconds_used, self.budget_seconds)

    @property
    def money_percent(self) -> int | None:
        return _percent(self.money_used_minor, self.budget_minor)


@dataclass(frozen=True)
class MemberRate:
    """A project member and the rate that applies to them when the task has no rate of its own."""

    member: ProjectMember
    rate: ResolvedRate
    # Set when the person's default rate is in another currency and so does not apply.
    other_currency: str | None

    @property
    def source_label(self) -> str:
        return RATE_SOURCE_LABELS[self.rate.source]


def _percent(used: int, budget: int | None) -> int | None:
    if not budget:
        return None
    return int((Decimal(used) * 100 / Decimal(budget)).to_integral_value(rounding=ROUND_HALF_UP))


def load_project_page(user: User, project_id: int) -> Project:
    """Load a project ``user`` may see, with client, manager, tasks and members, in a fixed number of queries."""
    get_project_for(user, project_id)
    statement = (
        select(Project).where(Project.id == project_id)
        .options(joinedload(Project.client), joinedload(Project.manager), selectinload(Project.tasks),
                 selectinload(Project.members).joinedload(ProjectMember.user))
        .execution_options(populate_existing=True)
    )
    return db.session.scalars(statement).one()


def _person_rate(project: Project, rate: int | None, currency: str) -> int | None:
    return rate if currency == project.currency else None


def measure_budget(project: Project) -> BudgetUse:
    """Sum the project's logged time and its value in one aggregate query plus one for member rates."""
    rows = db.session.execute(
        select(TimeEntry.user_id, TimeEntry.task_id, TimeEntry.billable, User.default_rate_minor, User.currency,
               func.sum(TimeEntry.duration_seconds))
        .join(User, User.id == TimeEntry.user_id)
        .where(TimeEntry.project_id == project.id, TimeEntry.duration_seconds.is_not(None))
        .group_by(TimeEntry.user_id, TimeEntry.task_id, TimeEntry.billable, User.default_rate_minor, User.currency)
    ).all()
    member_rates = member_rate_map({project.id})
    task_rates = {task.id: task.hourly_rate_minor for task in project.tasks}
    seconds_used = 0
    unpriced = 0
    money = Decimal(0)
    for user_id, task_id, billable, person_rate, person_currency, seconds in rows:
        seconds = int(seconds or 0)
        seconds_used += seconds
        if not billable:
            continue
        rate = pick_rate(member_rates.get((project.id, user_id)), task_rates.get(task_id),
                         project.hourly_rate_minor, _person_rate(project, person_rate, person_currency))
        if rate.minor is None:
            unpriced += seconds
            continue
        money += Decimal(seconds) * rate.minor / 3600
    return BudgetUse(
        currency=project.currency, seconds_used=seconds_used, budget_seconds=project.budget_seconds,
        money_used_minor=int(money.to_integral_value(rounding=ROUND_HALF_UP)), budget_minor=project.budget_minor,
        unpriced_seconds=unpriced,
    )


def member_rates(project: Project) -> list[MemberRate]:
    """Pair each member of a loaded project with the rate that applies, ordered by name, without a query."""
    rows = []
    for member in sorted(project.members, key=lambda m: m.user.name.lower()):
        user = member.user
        person_rate = _person_rate(project, user.default_rate_minor, user.currency)
        other = user.currency if user.default_rate_minor is not None and person_rate is None else None
        rate = pick_rate(member.hourly_rate_minor, None, project.hourly_rate_minor, person_rate)
        rows.append(MemberRate(member=member, rate=rate, other_currency=other))
    return rows
