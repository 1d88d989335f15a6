"""The permission catalogue, the built-in security profiles and the route guard.

Every view declares the permission it needs with ``@requires(...)``, or is marked
``@signed_in`` or ``@public``. The before-request guard rejects any endpoint that
declares none of these, so a forgotten declaration fails closed.
"""
from __future__ import annotations

import enum
from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user


class Permission(str, enum.Enum):
    TIME_OWN = "time.own"
    TIME_VIEW_ALL = "time.view_all"
    TIME_APPROVE = "time.approve"
    TIME_REOPEN = "time.reopen"
    PERIODS_CLOSE = "periods.close"
    EXPENSES_OWN = "expenses.own"
    EXPENSES_APPROVE = "expenses.approve"
    EXPENSES_REIMBURSE = "expenses.reimburse"
    PROJECTS_VIEW = "projects.view"
    PROJECTS_MANAGE = "projects.manage"
    CLIENTS_VIEW = "clients.view"
    CLIENTS_MANAGE = "clients.manage"
    RATES_VIEW = "rates.view"
    INVOICES_VIEW = "invoices.view"
    INVOICES_MANAGE = "invoices.manage"
    INVOICES_ISSUE = "invoices.issue"
    INVOICES_VOID = "invoices.void"
    PAYMENTS_RECORD = "payments.record"
    REPORTS_VIEW = "reports.view"
    DATA_IMPORT = "data.import"
    DATA_EXPORT = "data.export"
    USERS_MANAGE = "users.manage"
    PROFILES_MANAGE = "profiles.manage"
    SETTINGS_MANAGE = "settings.manage"
    AUDIT_READ_ALL = "audit.read_all"
    AUDIT_READ_OWN = "audit.read_own"
    BACKUP_MANAGE = "backup.manage"
    # Scopes: without them a person acts only on projects they manage or clients they look after.
    SCOPE_ALL_PROJECTS = "scope.all_projects"
    SCOPE_ALL_CLIENTS = "scope.all_clients"


DESCRIPTIONS: dict[Permission, str] = {
    Permission.TIME_OWN: "Log, edit and submit own time",
    Permission.TIME_VIEW_ALL: "See everyone's time entries",
    Permission.TIME_APPROVE: "Approve or reject time of managed projects",
    Permission.TIME_REOPEN: "Reopen approved time and edit closed periods",
    Permission.PERIODS_CLOSE: "Close periods up to a date",
    Permission.EXPENSES_OWN: "Record and submit own expenses",
    Permission.EXPENSES_APPROVE: "Approve or reject expense reports of managed projects",
    Permission.EXPENSES_REIMBURSE: "Mark expense reports as reimbursed",
    Permission.PROJECTS_VIEW: "See projects and tasks",
    Permission.PROJECTS_MANAGE: "Create and change projects, tasks and members",
    Permission.CLIENTS_VIEW: "See clients",
    Permission.CLIENTS_MANAGE: "Create and change clients",
    Permission.RATES_VIEW: "See billing and cost rates",
    Permission.INVOICES_VIEW: "See invoices and credit notes",
    Permission.INVOICES_MANAGE: "Create and edit draft invoices",
    Permission.INVOICES_ISSUE: "Issue invoices",
    Permission.INVOICES_VOID: "Void issued invoices (creates a credit note)",
    Permission.PAYMENTS_RECORD: "Record payments and apply client credit",
    Permission.REPORTS_VIEW: "See budget and utilisation reports",
    Permission.DATA_IMPORT: "Import data from other trackers",
    Permission.DATA_EXPORT: "Export CSV files",
    Permission.USERS_MANAGE: "Create, change and disable users",
    Permission.PROFILES_MANAGE: "Edit security profiles",
    Permission.SETTINGS_MANAGE: "Change company settings",
    Permission.AUDIT_READ_ALL: "Read the whole audit trail",
    Permission.AUDIT_READ_OWN: "Read own audit events",
    Permission.BACKUP_MANAGE: "Run backups and manage backup targets",
    Permission.SCOPE_ALL_PROJECTS: "Act on all projects, not only managed ones",
    Permission.SCOPE_ALL_CLIENTS: "Act on all clients, not only the ones looked after",
}

_WORKER = {Permission.TIME_OWN, Permission.EXPENSES_OWN, Permission.PROJECTS_VIEW, Permission.AUDIT_READ_OWN}
_BILLING = {
    Permission.CLIENTS_VIEW, Permission.RATES_VIEW, Permission.INVOICES_VIEW, Permission.INVOICES_MANAGE,
    Permission.INVOICES_ISSUE, Permission.PAYMENTS_RECORD, Permission.DATA_EXPORT, Permission.REPORTS_VIEW,
}

BUILTIN_PROFILES: dict[str, tuple[str, set[Permission]]] = {
    "Administrator": ("Everything, including users, profiles, settings and the audit trail", set(Permission)),
    "Worker": ("Logs own time and expenses", set(_WORKER)),
    "Project Manager": (
        "Approves time and expenses of the projects they manage and watches their budgets",
        _WORKER | {Permission.TIME_APPROVE, Permission.TIME_REOPEN, Permission.EXPENSES_APPROVE,
                   Permission.REPORTS_VIEW, Permission.RATES_VIEW, Permission.CLIENTS_VIEW},
    ),
    "Account Manager": (
        "Turns approved work of every client into invoices and records payments",
        _WORKER | _BILLING | {Permission.INVOICES_VOID, Permission.SCOPE_ALL_CLIENTS, Permission.TIME_VIEW_ALL,
                              Permission.EXPENSES_REIMBURSE},
    ),
    "Client Manager": ("Looks after the invoices and payments of their own clients", _WORKER | _BILLING),
}

PUBLIC = "public"
AUTHENTICATED = "authenticated"


def requires(*permissions: Permission) -> Callable:
    """Declare that a view needs all of ``permissions``; checked before the view runs."""

    def decorate(view: Callable) -> Callable:
        view.required_permissions = tuple(permissions)  # type: ignore[attr-defined]
        return view

    return decorate


def public(view: Callable) -> Callable:
    """Declare a view that anyone may reach without signing in (sign-in page, health check)."""
    view.required_permissions = PUBLIC  # type: ignore[attr-defined]
    return view


def signed_in(view: Callable) -> Callable:
    """Declare a view open to every signed-in person; the view itself scopes the data."""
    view.required_permissions = AUTHENTICATED  # type: ignore[attr-defined]
    return view


def declared_permissions(view: Callable | None):
    return getattr(view, "required_permissions", None)


def check_request_permission(view: Callable | None) -> None:
    """Abort unless the current user may call ``view``; runs before every request."""
    declared = declared_permissions(view)
    if declared is None:
        abort(403)
    if declared == PUBLIC:
        return
    if not current_user.is_authenticated:
        abort(401)
    if declared == AUTHENTICATED:
        return
    missing = [p for p in declared if not current_user.can(p.value)]
    if missing:
        abort(403)


def has(permission: Permission) -> bool:
    return bool(current_user.is_authenticated and current_user.can(permission.value))


def guard_view(view: Callable) -> Callable:
    """Wrap a view so the permission check also runs when it is called directly."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        check_request_permission(view)
        return view(*args, **kwargs)

    return wrapper


def endpoint_view(app, endpoint: str | None):
    return app.view_functions.get(endpoint) if endpoint else None




def permission_matrix_markdown() -> str:
    """Render the built-in profiles' permissions as a Markdown table (kept in docs/permissions.md)."""
    names = list(BUILTIN_PROFILES)
    lines = ["| permission | meaning | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    for permission in Permission:
        marks = ["yes" if permission in BUILTIN_PROFILES[n][1] else "" for n in names]
        lines.append(f"| `{permission.value}` | {DESCRIPTIONS[permission]} | " + " | ".join(marks) + " |")
    return "\n".join(lines) + "\n"
