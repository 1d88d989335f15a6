"""The administrator's password policy: the rules a new password must meet, history and aging.

The policy lives in company settings (app/company.py), one key per rule. The defaults
follow NIST SP 800-63B: a long minimum length, no composition rules, no periodic
expiry, and a check against common passwords. Character-class rules and aging exist
for offices whose own rules demand them, and are off until an administrator turns
them on.

Passwords are compared exactly as typed: case-sensitive, every Unicode code point
counts as one character, and nothing is trimmed or normalised.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import zxcvbn
from sqlalchemy import delete, select
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from app import company, db
from app.errors import UserError
from app.models import PasswordHistory, User

# zxcvbn 4.5.0 raises ValueError for input longer than 72 characters by default, and its
# matching time grows faster than linearly with length, so only the first 72 characters
# are scored. A longer password with a guessable start is therefore refused.
STRENGTH_PREFIX_LENGTH = 72
# Logins and whole names shorter than MIN_WHOLE_LENGTH, and name parts shorter than
# MIN_PERSONAL_PART_LENGTH, occur inside too many ordinary words to refuse ("Li", or
# "Ada" of "Ada Lovelace" in "Canada").
MIN_WHOLE_LENGTH = 3
MIN_PERSONAL_PART_LENGTH = 4
STRENGTH_LABELS = {0: "too guessable", 1: "very guessable", 2: "somewhat guessable",
                   3: "safely unguessable", 4: "very unguessable"}


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int = 15
    max_length: int = 256
    require_lowercase: bool = False
    require_uppercase: bool = False
    require_digit: bool = False
    require_symbol: bool = False
    reject_common: bool = True
    # zxcvbn score (0 to 4) a new password needs when reject_common is on.
    min_strength: int = 3
    reject_personal: bool = True
    # How many of a person's own earlier passwords may not be chosen again; 0 turns it off.
    history_count: int = 5
    # Days a chosen password stays valid; 0 turns aging off.
    max_age_days: int = 0
    expiry_warning_days: int = 14

    @classmethod
    def load(cls) -> PasswordPolicy:
        """Read the policy from company settings."""
        values = company.get_all()
        return cls(**{name: values[f"password_{name}"] for name in cls.__dataclass_fields__})


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """Return the 30,000 passwords of zxcvbn's "passwords" frequency list, lower-case."""
    return frozenset(FREQUENCY_LISTS["passwords"])


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def personal_words(login: str, name: str) -> list[str]:
    """Return the words a password may not contain: login, whole name and longer name parts, case-folded."""
    folded_name = _fold(name).strip()
    words = {_fold(login).strip(), folded_name, folded_name.replace(" ", "")}
    words = {word for word in words if len(word) >= MIN_WHOLE_LENGTH}
    words.update(part for part in folded_name.replace("-", " ").split() if len(part) >= MIN_PERSONAL_PART_LENGTH)
    return sorted(words)


def _character_class_problems(policy: PasswordPolicy, password: str) -> list[str]:
    rules = [
        (policy.require_lowercase, any(c.islower() for c in password), "a lower-case letter"),
        (policy.require_uppercase, any(c.isupper() for c in password), "an upper-case letter"),
        (policy.require_digit, any(c.isdigit() for c in password), "a digit"),
        (policy.require_symbol, any(not c.isalnum() for c in password), "a symbol or space"),
    ]
    return [label for required, present, label in rules if required and not present]


def check_password(policy: PasswordPolicy, password: str, *, login: str, name: str,
                   field: str = "new_password") -> None:
    """Raise UserError naming the first rule of ``policy`` that ``password`` breaks."""
    length = len(password)
    if length < policy.min_length:
        raise UserError(f"the new password has {length} characters; use at least {policy.min_length}. "
                        "A passphrase of several words is long and easy to remember", field=field)
    if length > policy.max_length:
        raise UserError(f"the new password has {length} characters; use at most {policy.max_length}", field=field)
    missing = _character_class_problems(policy, password)
    if missing:
        raise UserError(f"the new password must also contain {' and '.join(missing)}", field=field)
    if policy.reject_personal:
        folded = _fold(password)
        if any(word in folded for word in personal_words(login, name)):
            raise UserError("the new password contains your login or name; choose one without them", field=field)
    if policy.reject_common:
        _check_common(policy, password, [login, *name.split()], field)


def _check_common(policy: PasswordPolicy, password: str, user_inputs: list[str], field: str) -> None:
    if password.lower() in common_passwords():
        raise UserError("the new password is on the list of the 30,000 most common passwords; choose another",
                        field=field)
    result = zxcvbn.zxcvbn(password[:STRENGTH_PREFIX_LENGTH], user_inputs=user_inputs)
    if result["score"] < policy.min_strength:
        hint = result["feedback"].get("warning") or "it follows a common pattern"
        raise UserError(f"the new password is {STRENGTH_LABELS[result['score']]} (strength {result['score']} of 4, "
                        f"at least {policy.min_strength} needed): {hint.rstrip('.')}. Add a few unrelated words",
                        field=field)


def password_used_before(user: User, password: str, count: int, verify) -> bool:
    """Return True when ``password`` matches one of the ``count`` newest passwords ``user`` chose.

    ``verify(password, stored_hash)`` compares one candidate.
    """
    if count <= 0:
        return False
    hashes = db.session.scalars(
        select(PasswordHistory.password_hash).where(PasswordHistory.user_id == user.id)
        .order_by(PasswordHistory.created_at.desc(), PasswordHistory.id.desc()).limit(count)
    )
    return any(verify(password, stored) for stored in hashes)


def remember_password(user: User, password_hash: str, count: int, now: datetime) -> None:
    """Add a chosen password's hash to the history and keep only the ``count`` newest."""
    if count > 0:
        db.session.add(PasswordHistory(user_id=user.id, password_hash=password_hash, created_at=now))
        db.session.flush()
    keep = select(PasswordHistory.id).where(PasswordHistory.user_id == user.id).order_by(
        PasswordHistory.created_at.desc(), PasswordHistory.id.desc()).limit(count)
    kept = list(db.session.scalars(keep)) if count > 0 else []
    db.session.execute(delete(PasswordHistory).where(PasswordHistory.user_id == user.id,
                                                     PasswordHistory.id.not_in(kept)))


def password_expires_at(user: User, policy: PasswordPolicy) -> datetime | None:
    """Return when ``user``'s password expires under ``policy``, or None without aging."""
    if policy.max_age_days <= 0:
        return None
    changed = user.password_changed_at or user.created_at
    return changed + timedelta(days=policy.max_age_days)


def days_until_expiry(user: User, policy: PasswordPolicy, now: datetime) -> int | None:
    """Return the whole days left when the warning period has begun, else None."""
    expires = password_expires_at(user, policy)
    if expires is None or expires <= now:
        return None
    left = expires - now
    if left > timedelta(days=policy.expiry_warning_days):
        return None
    return left.days
