"""TOTP code checks (RFC 6238: SHA-1, 6 digits, 30-second steps) and recovery codes.

Authenticator apps use SHA-1, 6 digits and 30 seconds unless configured otherwise, so
these defaults keep every common app working.
"""
from __future__ import annotations

import hmac
import re
import secrets
import time
from dataclasses import dataclass

import pyotp

from app.security.passwords import ONE_TIME_PASSWORD_ALPHABET

STEP_SECONDS = 30
# Codes of one step before and after the current one are accepted, so a phone clock up
# to about 30 seconds off, or a code typed just as it changes, still works.
DRIFT_STEPS = 1
ISSUER = "TrackerBox"
RECOVERY_CODE_COUNT = 10
RECOVERY_GROUP_LENGTH = 5
# Two groups of five from a 29-symbol alphabet: about 48 bits per code.
RECOVERY_GROUPS = 2
TOTP_CODE = re.compile(r"[0-9]{6}")
RECOVERY_CODE = re.compile(f"[{ONE_TIME_PASSWORD_ALPHABET}]{{{RECOVERY_GROUP_LENGTH * RECOVERY_GROUPS}}}")
FORMAT_HINT = ("enter the 6 digits your authenticator app shows, or one of your recovery codes "
               "(two groups of five letters and digits)")


def now_unix() -> float:
    """Return the current Unix time; tests replace this to fix the clock."""
    return time.time()


def new_secret() -> str:
    """Make a random base32 TOTP secret of 160 bits, the size RFC 4226 recommends."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, login: str) -> str:
    """Build the otpauth:// URI that authenticator apps read from the QR code."""
    return pyotp.TOTP(secret, interval=STEP_SECONDS).provisioning_uri(name=login, issuer_name=ISSUER)


def current_step() -> int:
    return int(now_unix()) // STEP_SECONDS


@dataclass(frozen=True)
class CodeMatch:
    """The time steps within the drift window whose code equals the one typed."""

    steps: tuple[int, ...]

    def newest_after(self, last_step: int | None) -> int | None:
        """Return the newest matching step later than ``last_step``, or None when every match is a replay."""
        fresh = [step for step in self.steps if last_step is None or step > last_step]
        return max(fresh) if fresh else None


def match_totp(secret: str, code: str) -> CodeMatch:
    """Compare ``code`` with the codes of the current step and its neighbours, in constant time each."""
    totp = pyotp.TOTP(secret, interval=STEP_SECONDS)
    now = current_step()
    steps = tuple(step for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1)
                  if hmac.compare_digest(totp.generate_otp(step), code))
    return CodeMatch(steps)


def normalize(code: str) -> str:
    """Drop spaces and dashes and lower-case a typed code, so "ABCDE-FGHJK" and "abcde fghjk" are equal."""
    return re.sub(r"[\s-]", "", code or "").lower()


def is_totp_code(normalized: str) -> bool:
    return bool(TOTP_CODE.fullmatch(normalized))


def is_recovery_code(normalized: str) -> bool:
    return bool(RECOVERY_CODE.fullmatch(normalized))


def new_recovery_codes() -> list[str]:
    """Make the set of recovery codes to show once, such as ``k7rmx-9qtbe``."""
    return ["-".join("".join(secrets.choice(ONE_TIME_PASSWORD_ALPHABET) for _ in range(RECOVERY_GROUP_LENGTH))
                     for _ in range(RECOVERY_GROUPS))
            for _ in range(RECOVERY_CODE_COUNT)]
