"""The password and sign-in policy page: checking the typed values and saving each change.

Every changed value is saved through app.company, which audits it as ``settings.change``
with the old and new value.
"""
from __future__ import annotations

from collections.abc import Mapping

from app import company, inputs
from app.security.throttle import parse_networks

# Setting name: (lowest, highest) accepted whole number.
NUMBER_SETTINGS = {
    "password_min_length": (8, 128),
    "password_max_length": (128, 1024),
    "password_min_strength": (0, 4),
    "password_history_count": (0, 24),
    "password_max_age_days": (0, 3650),
    "password_expiry_warning_days": (0, 90),
    "signin_suspend_after": (4, 100),
    "signin_address_limit": (5, 10_000),
    "signin_office_limit": (5, 100_000),
}
FLAG_SETTINGS = (
    "password_require_lowercase", "password_require_uppercase", "password_require_digit", "password_require_symbol",
    "password_reject_common", "password_reject_personal",
)
POLICY_SETTINGS = (*NUMBER_SETTINGS, *FLAG_SETTINGS, "office_networks")


def _parse_policy(values: Mapping) -> dict:
    checks = inputs.FieldChecks()
    clean: dict = {}
    for key, (minimum, maximum) in NUMBER_SETTINGS.items():
        clean[key] = checks.run(key, inputs.parse_int_range, str(values.get(key) or ""), field=key,
                                minimum=minimum, maximum=maximum)
    for key in FLAG_SETTINGS:
        clean[key] = bool(values.get(key))
    clean["office_networks"] = checks.run("office_networks", parse_networks, values.get("office_networks") or "")
    _check_combinations(clean, checks)
    checks.raise_if_any()
    return clean


def _check_combinations(clean: dict, checks: inputs.FieldChecks) -> None:
    """Add the errors of values that are each valid but do not fit together."""
    low, high = clean["password_min_length"], clean["password_max_length"]
    if low is not None and high is not None and low > high:
        checks.add("password_min_length", f"password_min_length: {low} is above the maximum length {high}; "
                                          "lower it or raise the maximum")
    age, warning = clean["password_max_age_days"], clean["password_expiry_warning_days"]
    if age and warning is not None and warning >= age:
        checks.add("password_expiry_warning_days", f"password_expiry_warning_days: {warning} days is not shorter "
                                                   f"than the maximum age of {age} days; choose fewer days")
    outside, office = clean["signin_address_limit"], clean["signin_office_limit"]
    if outside is not None and office is not None and office < outside:
        checks.add("signin_office_limit", f"signin_office_limit: {office} is below the limit of {outside} for "
                                          "other addresses; the office limit must be at least as high")


def update_password_policy(values: Mapping) -> list[str]:
    """Check every field, then save and audit each changed one. Return the names of the changed settings."""
    clean = _parse_policy(values)
    current = company.get_all()
    changed = [key for key in POLICY_SETTINGS if current[key] != clean[key]]
    for key in changed:
        company.set_value(key, clean[key])
    return changed


def form_values() -> dict:
    """Return the saved policy as form data, with the office networks one per line."""
    values = {key: company.get(key) for key in POLICY_SETTINGS}
    values["office_networks"] = "\n".join(values["office_networks"])
    return values
