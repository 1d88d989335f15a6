"""Hourly rate resolution: person-on-project, then task, then project, then the person's default."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app import db
from app.models import Project, ProjectMember, Task, User


@dataclass(frozen=True)
class ResolvedRate:
    """A billing rate in minor units of the project's currency and where it came from."""

    minor: int | None
    source: str  # "member", "task", "project", "person" or "none"


def resolve_rate(user: User, project: Project, task: Task | None, member_rates: dict[tuple[int, int], int | None] | None = None) -> ResolvedRate:
    """Resolve the hourly billing rate of ``user`` working on ``task`` of ``project``.

    The person's default rate counts only when it is in the project's currency.

    ``member_rates`` maps (project_id, user_id) to the member rate; pass it when
    resolving many entries so that no query runs per entry.
    """
    if member_rates is not None:
        member_rate = member_rates.get((project.id, user.id))
    else:
        member_rate = db.session.scalar(
            select(ProjectMember.hourly_rate_minor).where(ProjectMember.project_id == project.id,
                                                          ProjectMember.user_id == user.id)
        )
    task_rate = task.hourly_rate_minor if task is not None else None
    # A person's default rate is in the person's currency, so it applies only to projects
    # billed in that currency; money is never converted.
    person_rate = user.default_rate_minor if user.currency == project.currency else None
    return pick_rate(member_rate, task_rate, project.hourly_rate_minor, person_rate)


def pick_rate(member_rate: int | None, task_rate: int | None, project_rate: int | None,
              person_rate: int | None) -> ResolvedRate:
    """Choose the first rate that is set, in the order person-on-project, task, project, person."""
    if member_rate is not None:
        return ResolvedRate(member_rate, "member")
    if task_rate is not None:
        return ResolvedRate(task_rate, "task")
    if project_rate is not None:
        return ResolvedRate(project_rate, "project")
    if person_rate is not None:
        return ResolvedRate(person_rate, "person")
    return ResolvedRate(None, "none")


def member_rate_map(project_ids: set[int]) -> dict[tuple[int, int], int | None]:
    """Load all member rates of the given projects in one query, for ``resolve_rate``."""
    if not project_ids:
        return {}
    rows = db.session.execute(
        select(ProjectMember.project_id, ProjectMember.user_id, ProjectMember.hourly_rate_minor)
        .where(ProjectMember.project_id.in_(project_ids))
    )
    return {(project_id, user_id): rate for project_id, user_id, rate in rows}
