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
    if member_rate is not None:
        return ResolvedRate(member_rate, "member")
    if task is not None and task.hourly_rate_minor is not None:
        return ResolvedRate(task.hourly_rate_minor, "task")
    if project.hourly_rate_minor is not None:
        return ResolvedRate(project.hourly_rate_minor, "project")
    if user.default_rate_minor is not None:
        return ResolvedRate(user.default_rate_minor, "person")
    return ResolvedRate(None, "none")


def member_rate_map(project_ids: set[int]) -> dict[tuple[int, int], int | None]:
    """All member rates of the given projects in one query, for ``resolve_rate``."""
    if not project_ids:
        return {}
    rows = db.session.execute(
        select(ProjectMember.project_id, ProjectMember.user_id, ProjectMember.hourly_rate_minor)
        .where(ProjectMember.project_id.in_(project_ids))
    )
    return {(project_id, user_id): rate for project_id, user_id, rate in rows}
