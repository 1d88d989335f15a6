"""All models, imported here so that Alembic and the services see one metadata."""
from app.models.accounts import ProfilePermission, SecurityProfile, User, user_profiles
from app.models.audit import AuditEvent
from app.models.backups import BackupRun, BackupTarget, SchedulerJob
from app.models.base import Base, utcnow
from app.models.expenses import Expense, ExpenseCategory, ExpenseReport, ExpenseStatus, ReportStatus
from app.models.imports import ImportBatch
from app.models.invoices import (
    ClientCredit,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceLineTax,
    InvoiceStatus,
    LineKind,
    NumberSequence,
    Payment,
    PaymentMethod,
    TaxRate,
)
from app.models.projects import BillingMethod, Client, Project, ProjectMember, Task, client_managers
from app.models.sessions import AllowedNetwork, UserSession
from app.models.settings import Setting
from app.models.signin import PasswordHistory, SignInThrottle
from app.models.time import ApprovalDecision, EntryStatus, Timesheet, TimesheetStatus, TimeEntry
from app.models.two_factor import RecoveryCode, UserTotp

__all__ = [
    "AllowedNetwork", "ApprovalDecision", "AuditEvent", "BackupRun", "BackupTarget", "Base", "BillingMethod",
    "Client", "ClientCredit", "EntryStatus", "Expense", "ExpenseCategory", "ExpenseReport", "ExpenseStatus",
    "ImportBatch", "Invoice", "InvoiceKind", "InvoiceLine", "InvoiceLineTax", "InvoiceStatus", "LineKind",
    "NumberSequence", "PasswordHistory", "Payment", "PaymentMethod", "ProfilePermission", "Project", "ProjectMember",
    "RecoveryCode", "ReportStatus", "SchedulerJob", "SecurityProfile", "Setting", "SignInThrottle", "Task", "TaxRate",
    "TimeEntry", "Timesheet", "TimesheetStatus", "User", "UserSession", "UserTotp", "client_managers", "user_profiles",
    "utcnow",
]
