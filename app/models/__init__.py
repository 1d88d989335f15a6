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
from app.models.settings import Setting
from app.models.time import ApprovalDecision, EntryStatus, Timesheet, TimesheetStatus, TimeEntry

__all__ = [
    "ApprovalDecision", "AuditEvent", "BackupRun", "BackupTarget", "Base", "BillingMethod", "Client", "ClientCredit", "EntryStatus",
    "Expense", "ExpenseCategory", "ExpenseReport", "ExpenseStatus", "ImportBatch", "Invoice", "InvoiceKind",
    "InvoiceLine", "InvoiceLineTax", "InvoiceStatus", "LineKind", "NumberSequence", "Payment",
    "PaymentMethod", "ProfilePermission", "Project", "ProjectMember", "ReportStatus", "SecurityProfile",
    "SchedulerJob", "Setting", "Task", "TaxRate", "TimeEntry", "Timesheet", "TimesheetStatus", "User", "client_managers",
    "user_profiles", "utcnow",
]
