"""Pages of the timesheets blueprint: the week grid, entries, the timer, approvals and closed periods."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app import company, db
from app.durations import format_duration
from app.errors import UserError
from app.models import EntryStatus, TimeEntry
from app.pagination import paginate
from app.security.permissions import Permission, requires
from app.timesheets import approval, grid, inputs, periods, services, weeks
from app.timesheets.forms import DecisionForm, EntryForm, PeriodForm, ReopenForm, TimerForm, WeekActionForm
from app.inputs import parse_id
from app.timesheets.inputs import RowKey
from app.timesheets.states import EntryAction, entry_allows

bp = Blueprint("timesheets", __name__)

ENTRIES_PER_PAGE = 100


@bp.app_template_filter("week_label")
def week_label_filter(day: date) -> str:
    """Show the ISO week (2026-W13) that contains ``day``."""
    return weeks.week_label(weeks.week_start(day))


def _requested_week(values) -> date:
    """Return the Monday of ``week`` (2026-W13) or of ``date`` in ``values``, else of this week."""
    if values.get("week"):
        return weeks.parse_week(values["week"])
    if values.get("date"):
        return weeks.week_start(weeks.parse_date(values["date"]))
    return weeks.week_start(weeks.today_in(current_user.timezone))


def _render_week(week_grid: grid.WeekGrid, status: int = 200):
    timer_form = TimerForm()
    timer_form.project.choices = inputs.project_choices(week_grid.projects)
    return render_template("timesheets/week.html", grid=week_grid, form=WeekActionForm(week=week_grid.label),
                           timer_form=timer_form, choices=timer_form.project.choices,
                           day_names=grid.DAY_NAMES), status


def _week_with_error(monday: date, message: str):
    """Show the week again with ``message``, as it was before the failed request."""
    # The failed change may have flushed rows; drop them before the page reads the week.
    db.session.rollback()
    week_grid = grid.build_week(current_user, monday)
    week_grid.errors = [message]
    return _render_week(week_grid, 400)


@bp.route("/time/")
@requires(Permission.TIME_OWN)
def week():
    monday = _requested_week(request.args)
    extra = [RowKey.parse(value, field="row") for value in request.args.getlist("row")[:grid.MAX_GRID_ROWS]]
    week_grid = grid.build_week(current_user, monday, extra_keys=extra, copy_previous=request.args.get("copy") == "1")
    return _render_week(week_grid)


@bp.route("/time/grid", methods=["POST"])
@requires(Permission.TIME_OWN)
def save_grid():
    monday = _requested_week(request.form)
    try:
        result = grid.save_week(current_user, monday, request.form)
    except grid.GridError as exc:
        return _render_week(exc.grid, 400)
    except UserError as exc:
        return _week_with_error(monday, exc.message)
    if result.changed:
        flash(f"Week {weeks.week_label(monday)} saved: {result.created} entries added, {result.updated} changed, "
              f"{result.deleted} removed.", "success")
    else:
        flash("Nothing changed in the grid.", "info")
    return redirect(url_for("timesheets.week", week=weeks.week_label(monday)))


@bp.route("/time/submit", methods=["POST"])
@requires(Permission.TIME_OWN)
def submit_week():
    monday = _requested_week(request.form)
    try:
        timesheet = approval.submit_week(current_user, monday)
    except UserError as exc:
        return _week_with_error(monday, exc.message)
    flash(f"Week {weeks.week_label(monday)} is {timesheet.status.value}.", "success")
    return redirect(url_for("timesheets.week", week=weeks.week_label(monday)))


@bp.route("/time/withdraw", methods=["POST"])
@requires(Permission.TIME_OWN)
def withdraw_week():
    monday = _requested_week(request.form)
    try:
        approval.withdraw_week(current_user, monday)
    except UserError as exc:
        return _week_with_error(monday, exc.message)
    flash(f"Week {weeks.week_label(monday)} was withdrawn; you can change it and submit it again.", "success")
    return redirect(url_for("timesheets.week", week=weeks.week_label(monday)))


@bp.route("/time/timer/start", methods=["POST"])
@requires(Permission.TIME_OWN)
def start_timer():
    form = TimerForm()
    monday = weeks.week_start(weeks.today_in(current_user.timezone))
    try:
        if not form.validate_on_submit():
            raise UserError("notes: keep the timer's notes under 5000 characters", field="notes")
        project, task = inputs.choose_project(current_user, form.project.data)
        services.start_timer(current_user, project=project, task=task, notes=form.notes.data or "")
    except UserError as exc:
        return _week_with_error(monday, exc.message)
    flash(f"Timer started on {project.label}.", "success")
    return redirect(url_for("timesheets.week"))


@bp.route("/time/timer/stop", methods=["POST"])
@requires(Permission.TIME_OWN)
def stop_timer():
    try:
        entry = services.stop_timer(current_user)
    except UserError as exc:
        return _week_with_error(weeks.week_start(weeks.today_in(current_user.timezone)), exc.message)
    if entry is None:
        flash("The timer ran for less than a second, so no entry was kept.", "info")
        return redirect(url_for("timesheets.week"))
    flash(f"Timer stopped: {format_duration(entry.duration_seconds)} on {entry.project.label}.", "success")
    return redirect(url_for("timesheets.week", week=weeks.week_label(weeks.week_start(entry.work_date))))


@bp.route("/time/timer/discard", methods=["POST"])
@requires(Permission.TIME_OWN)
def discard_timer():
    try:
        services.discard_timer(current_user)
    except UserError as exc:
        return _week_with_error(weeks.week_start(weeks.today_in(current_user.timezone)), exc.message)
    flash("The running timer was discarded.", "info")
    return redirect(url_for("timesheets.week"))


@bp.route("/time/entries/")
@requires(Permission.TIME_OWN)
def entry_list():
    monday = _requested_week(request.args)
    page = paginate(services.week_entries_query(current_user, monday), per_page=ENTRIES_PER_PAGE)
    return render_template("timesheets/entries.html", page=page, monday=monday, days=weeks.week_days(monday),
                           label=weeks.week_label(monday), editable=_editable_ids(page.items))


def _editable_ids(entries: list[TimeEntry]) -> set[int]:
    return {entry.id for entry in entries if entry_allows(entry.status, EntryAction.EDIT) and not entry.running}


def _entry_form(entry: TimeEntry | None = None) -> EntryForm:
    form = EntryForm()
    form.project.choices = inputs.project_choices(inputs.loggable_projects(current_user))
    if entry is not None and request.method == "GET":
        _fill_entry_form(form, entry)
    elif request.method == "GET":
        form.work_date.data = request.args.get("date") or weeks.today_in(current_user.timezone).isoformat()
    return form


def _fill_entry_form(form: EntryForm, entry: TimeEntry) -> None:
    key = str(RowKey(entry.project_id, entry.task_id))
    if key not in {choice.value for choice in form.project.choices}:
        label = entry.project.label + (f" / {entry.task.name}" if entry.task else "")
        form.project.choices.insert(0, SelectChoice(key, label))
    form.project.data = key
    form.work_date.data = entry.work_date.isoformat()
    if entry.start_at is not None:
        tz = weeks.zone(entry.timezone)
        form.start.data = f"{entry.start_at.astimezone(tz):%H:%M}"
        form.end.data = f"{entry.end_at.astimezone(tz):%H:%M}" if entry.end_at else ""
    else:
        form.duration.data = format_duration(entry.duration_seconds)
    form.notes.data = entry.notes
    form.billable.data = "yes" if entry.billable else "no"


def _entry_values(form: EntryForm, zone_name: str) -> dict:
    project, task = inputs.choose_project(current_user, form.project.data)
    timing = inputs.timing_from_form(zone_name, day_text=form.work_date.data, start_text=form.start.data,
                                     end_text=form.end.data, duration_text=form.duration.data)
    return {"project": project, "task": task, "notes": form.notes.data or "",
            "billable": inputs.parse_billable(form.billable.data), **timing}


def _form_error(form: EntryForm, exc: UserError) -> None:
    target = getattr(form, exc.field, None) if exc.field else None
    if target is None or not hasattr(target, "errors"):
        target = form.duration
    target.errors = [*target.errors, exc.message]


@bp.route("/time/entries/new", methods=["GET", "POST"])
@requires(Permission.TIME_OWN)
def new_entry():
    form = _entry_form()
    if form.is_submitted():
        try:
            if not form.validate():
                raise UserError("the form has errors; see the fields below")
            entry = services.create_entry(current_user, **_entry_values(form, current_user.timezone))
        except UserError as exc:
            _form_error(form, exc)
            return render_template("timesheets/entry_form.html", form=form, entry=None), 400
        flash(f"Added {format_duration(entry.duration_seconds)} on {entry.project.label}.", "success")
        return redirect(url_for("timesheets.entry_list", week=weeks.week_label(weeks.week_start(entry.work_date))))
    return render_template("timesheets/entry_form.html", form=form, entry=None)


@bp.route("/time/entries/<int:entry_id>/edit", methods=["GET", "POST"])
@requires(Permission.TIME_OWN)
def edit_entry(entry_id: int):
    entry = services.get_own_entry(current_user, entry_id)
    form = _entry_form(entry)
    if form.is_submitted():
        try:
            if not form.validate():
                raise UserError("the form has errors; see the fields below")
            services.update_entry(entry, actor=current_user, **_entry_values(form, entry.timezone))
        except UserError as exc:
            db.session.rollback()
            entry = services.get_own_entry(current_user, entry_id)
            _form_error(form, exc)
            return render_template("timesheets/entry_form.html", form=form, entry=entry), 400
        flash("The entry was saved.", "success")
        return redirect(url_for("timesheets.entry_list", week=weeks.week_label(weeks.week_start(entry.work_date))))
    return render_template("timesheets/entry_form.html", form=form, entry=entry)


@bp.route("/time/entries/<int:entry_id>/delete", methods=["POST"])
@requires(Permission.TIME_OWN)
def delete_entry(entry_id: int):
    entry = services.get_own_entry(current_user, entry_id)
    label = weeks.week_label(weeks.week_start(entry.work_date))
    services.delete_entry(entry, actor=current_user)
    flash("The entry was deleted.", "success")
    return redirect(url_for("timesheets.entry_list", week=label))


def _approval_status() -> EntryStatus:
    value = request.args.get("status", EntryStatus.SUBMITTED.value)
    if value not in (EntryStatus.SUBMITTED.value, EntryStatus.APPROVED.value):
        raise UserError(f"status: {value!r} is not a list; use submitted or approved", field="status")
    return EntryStatus(value)


def _render_approvals(status: EntryStatus, error: str = "", code: int = 200):
    return render_template("timesheets/approvals.html", page=approval.list_parts(current_user, status),
                           status=status.value, form=DecisionForm(), reopen_form=ReopenForm(), error=error), code


@bp.route("/approvals/")
@requires(Permission.TIME_APPROVE)
def approvals():
    return _render_approvals(_approval_status())


@bp.route("/approvals/<int:timesheet_id>/<int:project_id>/approve", methods=["POST"])
@requires(Permission.TIME_APPROVE)
def approve(timesheet_id: int, project_id: int):
    return _decide(timesheet_id, project_id, approval.approve_part, "approved")


@bp.route("/approvals/<int:timesheet_id>/<int:project_id>/reject", methods=["POST"])
@requires(Permission.TIME_APPROVE)
def reject(timesheet_id: int, project_id: int):
    return _decide(timesheet_id, project_id, approval.reject_part, "rejected")


def _decide(timesheet_id: int, project_id: int, decide, verb: str):
    form = DecisionForm()
    part = approval.get_part_for(current_user, timesheet_id, project_id)
    try:
        if not form.validate_on_submit():
            raise UserError("comment: keep the comment under 2000 characters", field="comment")
        entry_ids = {parse_id(value, field="entry_ids") for value in request.form.getlist("entry_ids")}
        decide(current_user, part, form.comment.data or "", entry_ids or None)
    except UserError as exc:
        db.session.rollback()
        return _render_approvals(EntryStatus.SUBMITTED, exc.message, 400)
    flash(f"{part.project.label}, week {weeks.week_label(part.timesheet.week_start)} of "
          f"{part.timesheet.user.name}: {verb}.", "success")
    return redirect(url_for("timesheets.approvals"))


@bp.route("/approvals/<int:timesheet_id>/<int:project_id>/reopen", methods=["POST"])
@requires(Permission.TIME_APPROVE, Permission.TIME_REOPEN)
def reopen(timesheet_id: int, project_id: int):
    form = ReopenForm()
    part = approval.get_part_for(current_user, timesheet_id, project_id)
    try:
        if not form.validate_on_submit():
            raise UserError("reason: keep the reason under 2000 characters", field="reason")
        entry_ids = {parse_id(value, field="entry_ids") for value in request.form.getlist("entry_ids")}
        approval.reopen_part(current_user, part, form.reason.data or "", entry_ids or None)
    except UserError as exc:
        db.session.rollback()
        return _render_approvals(EntryStatus.APPROVED, exc.message, 400)
    flash(f"{part.project.label}, week {weeks.week_label(part.timesheet.week_start)} of "
          f"{part.timesheet.user.name}: reopened.", "success")
    return redirect(url_for("timesheets.approvals", status="approved"))


@bp.route("/time/periods", methods=["GET", "POST"])
@requires(Permission.PERIODS_CLOSE)
def close_period():
    form = PeriodForm()
    if form.is_submitted():
        try:
            if not form.validate():
                raise UserError("locked_until: the form expired; reload the page", field="locked_until")
            raw = (form.locked_until.data or "").strip()
            until = weeks.parse_date(raw, field="locked_until") if raw else None
            unapproved = periods.close_period(current_user, until)
        except UserError as exc:
            form.locked_until.errors = [*form.locked_until.errors, exc.message]
            return render_template("timesheets/periods.html", form=form, locked=company.locked_until()), 400
        if until is None:
            flash("No period is closed now.", "success")
        else:
            flash(f"Time is closed up to and including {until.isoformat()}. {unapproved} entries on or before "
                  "that date are not approved yet.", "success")
        return redirect(url_for("timesheets.close_period"))
    locked = company.locked_until()
    form.locked_until.data = locked.isoformat() if locked else ""
    return render_template("timesheets/periods.html", form=form, locked=locked)
