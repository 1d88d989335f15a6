"""Turning submitted form text into checked values: ids, project/task choices, dates and times."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from app import db
from app.durations import parse_duration
from app.errors import UserError
from app.models import Project, Task, User
from app.projects.scoping import loggable_projects_query
from app.timesheets import weeks

MAX_ID = 2**31 - 1
_ROW_KEY = re.compile(r"(?P<project>\d{1,10}):(?P<task>\d{1,10})?")


@dataclass(frozen=True, order=True)
class RowKey:
    """A project and optional task, written ``12:`` or ``12:7`` in forms and links."""

    project_id: int
    task_id: int | None = None

    def __str__(self) -> str:
        return f"{self.project_id}:{self.task_id or ''}"

    @classmethod
    def parse(cls, text: str | None, *, field: str = "project") -> RowKey:
        match = _ROW_KEY.fullmatch((text or "").strip())
        if match is None:
            raise UserError(f"{field}: {text!r} is not a project choice; pick a project from the list", field=field)
        project_id = int(match["project"])
        task_id = int(match["task"]) if match["task"] else None
        if not 0 < project_id <= MAX_ID or (task_id is not None and not 0 < task_id <= MAX_ID):
            raise UserError(f"{field}: {text!r} is not a project choice; pick a project from the list", field=field)
        return cls(project_id, task_id)


def loggable_projects(owner: User) -> list[Project]:
    """Open projects the owner may book on, with their tasks, in two queries."""
    return list(db.session.scalars(loggable_projects_query(owner).options(selectinload(Project.tasks))))


def project_choices(projects: list[Project]) -> list[SelectChoice]:
    """Select options: each project alone, then each of its open tasks."""
    choices = []
    for project in projects:
        choices.append(SelectChoice(str(RowKey(project.id)), project.label))
        for task in project.tasks:
            if not task.archived:
                choices.append(SelectChoice(str(RowKey(project.id, task.id)), f"{project.label} / {task.name}"))
    return choices


def resolve_choice(projects: list[Project], key: RowKey, *, field: str = "project") -> tuple[Project, Task | None]:
    """Find the project and task of ``key`` among ``projects``, else raise UserError."""
    project = next((p for p in projects if p.id == key.project_id), None)
    if project is None:
        raise UserError(f"{field}: the project is not open for your time; pick one from the list", field=field)
    if key.task_id is None:
        return project, None
    task = next((t for t in project.tasks if t.id == key.task_id and not t.archived), None)
    if task is None:
        raise UserError(f"{field}: the task is not an open task of {project.label}; pick one from the list",
                        field=field)
    return project, task


def choose_project(owner: User, text: str | None, *, field: str = "project") -> tuple[Project, Task | None]:
    return resolve_choice(loggable_projects(owner), RowKey.parse(text, field=field), field=field)


def timing_from_form(zone_name: str, *, day_text: str, start_text: str, end_text: str,
                     duration_text: str) -> dict:
    """Read the entry form's date, start, end and duration into create_entry keywords.

    Start and end are wall-clock times on the date in ``zone_name``. An end before the
    start means the next day, so 23:00 to 01:00 is two hours. An end equal to the start
    is a zero duration, which create_entry rejects. With a start and a
    duration the end follows from them; with a duration alone the entry is duration-only.
    """
    day = weeks.parse_date(day_text, field="work_date")
    start_text, end_text, duration_text = (start_text or "").strip(), (end_text or "").strip(), \
        (duration_text or "").strip()
    if not start_text:
        if end_text:
            raise UserError("start: an end time needs a start time; clear the end or add the start", field="start")
        return {"work_date": day, "duration_seconds": parse_duration(duration_text, field="duration")}
    start = weeks.local_instant(day, weeks.parse_time(start_text, field="start"), zone_name, field="start")
    if end_text:
        end = _end_instant(day, start, weeks.parse_time(end_text, field="end"), zone_name)
        if duration_text and parse_duration(duration_text) != int((end - start).total_seconds()):
            raise UserError("duration: it does not match the start and end; clear one of the three", field="duration")
        return {"start": start, "end": end}
    if not duration_text:
        raise UserError("end: give an end time or a duration, or start a timer instead", field="end")
    return {"start": start, "end": start + timedelta(seconds=parse_duration(duration_text, field="duration"))}


def _end_instant(day: date, start: datetime, clock, zone_name: str) -> datetime:
    end = weeks.local_instant(day, clock, zone_name, field="end")
    if end < start:
        end = weeks.local_instant(day + timedelta(days=1), clock, zone_name, field="end")
    return end


def parse_billable(text: str | None) -> bool | None:
    """'' means the project's or task's default; 'yes' and 'no' override it."""
    value = (text or "").strip().lower()
    if value in ("", "default"):
        return None
    if value in ("yes", "y", "true", "1"):
        return True
    if value in ("no", "n", "false", "0"):
        return False
    raise UserError(f"billable: {text!r} is not a choice; use yes, no or leave it on the default", field="billable")
