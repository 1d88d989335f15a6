"""Configuration: built-in defaults, then the config file, then environment variables.

The config file is INI with one ``[trackerbox]`` section. It is read from
``$TRACKERBOX_CONFIG`` when set, else from ``/etc/trackerbox/trackerbox.conf`` when
that file exists. Environment variables ``TRACKERBOX_<KEY>`` override the file.
"""
from __future__ import annotations

import configparser
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_CONFIG_PATH = Path("/etc/trackerbox/trackerbox.conf")
SECRET_KEY_FILE_NAME = "secret_key"
MIN_SECRET_KEY_LENGTH = 32
MIN_SECRET_KEY_DISTINCT_CHARS = 12
KNOWN_WEAK_KEYS = {"dev", "changeme", "secret", "development", "default", "trackerbox"}

# Keys accepted in the config file, with the type they are parsed as.
_KEYS: dict[str, type] = {
    "data_dir": str,
    "key_dir": str,
    "database_url": str,
    "secret_key": str,
    "secret_key_file": str,
    "max_upload_bytes": int,
    "bcrypt_rounds": int,
    "trusted_proxy": str,
    "log_level": str,
    "backup_identity_file": str,
    # E-mail for backup and scheduler failures; no smtp_host means no e-mail.
    "smtp_host": str,
    "smtp_port": int,
    "smtp_from": str,
    "smtp_to": str,
    "smtp_user": str,
    "smtp_password": str,
    "smtp_security": str,
    # Local time of the daily backup (HH:MM) and weekday of the weekly off-site copy.
    "backup_time": str,
    "backup_weekly_day": str,
    "tls_dir": str,
    "lan_ranges": str,
    "admin_ranges": str,
}
SMTP_SECURITY = ("none", "starttls", "tls")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ConfigError(Exception):
    """Invalid configuration; the message names the setting and the fix."""


@dataclass
class Settings:
    data_dir: Path
    database_url: str
    secret_key: str | None
    max_upload_bytes: int = 10 * 1024 * 1024
    bcrypt_rounds: int = 12
    trusted_proxy: str | None = None
    log_level: str = "INFO"
    # Where the backup age identity lives; None means <data_dir>/backup_identity.txt.
    backup_identity_file: Path | None = None
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str | None = None
    smtp_to: str | None = None
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_security: str = "none"
    backup_time: str = "02:00"
    backup_weekly_day: str = "sun"
    # Targets from [backup.target NAME] sections; the admin UI adds more in the database.
    backup_targets: list = field(default_factory=list)
    # The appliance: TLS files for nginx, and the firewall's LAN and SSH admin ranges
    # (addresses or CIDR ranges separated by commas).
    tls_dir: Path | None = None
    lan_ranges: str | None = None
    admin_ranges: str | None = None
    source: list[str] = field(default_factory=list)
    # Folder of the secret, password and audit key files; the data directory unless set.
    key_dir: Path | None = None

    @property
    def upload_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def keys_path(self) -> Path:
        return self.key_dir or self.data_dir

    @property
    def secret_key_path(self) -> Path:
        return self.keys_path / SECRET_KEY_FILE_NAME

    @property
    def max_request_bytes(self) -> int:
        """The largest request body accepted: one upload plus 1 MiB for the other form fields."""
        return self.max_upload_bytes + 1024 * 1024

    @property
    def tls_path(self) -> Path:
        """The directory with nginx's certificate, key and TLS state (default: <data_dir>/tls)."""
        return self.tls_dir or self.data_dir / "tls"


def _read_file(path: Path) -> tuple[dict[str, str], list]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with path.open(encoding="utf-8") as handle:
            parser.read_file(handle)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    except configparser.Error as exc:
        raise ConfigError(f"config file {path} is not valid INI: {exc.message}") from exc
    from backup.target_config import TargetConfigError, parse_sections

    try:
        targets = parse_sections({name: dict(parser.items(name)) for name in parser.sections()}, str(path))
    except TargetConfigError as exc:
        raise ConfigError(str(exc)) from None
    if not parser.has_section("trackerbox"):
        raise ConfigError(f"config file {path} has no [trackerbox] section; put the settings under it")
    values = dict(parser.items("trackerbox"))
    unknown = sorted(set(values) - set(_KEYS))
    if unknown:
        raise ConfigError(
            f"config file {path}: unknown setting(s) {', '.join(unknown)}; "
            f"accepted are {', '.join(sorted(_KEYS))}"
        )
    return values, targets


def _coerce(key: str, raw: str, origin: str) -> object:
    if _KEYS[key] is int:
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{origin}: {key} = {raw!r} is not a whole number") from None
    return raw


def load_settings(environ: os._Environ | dict | None = None) -> Settings:
    """Merge defaults, the config file and the environment into validated settings."""
    environ = os.environ if environ is None else environ
    values: dict[str, object] = {}
    sources: list[str] = []

    config_path = environ.get("TRACKERBOX_CONFIG")
    if config_path:
        path = Path(config_path)
        if not path.is_file():
            raise ConfigError(f"TRACKERBOX_CONFIG={config_path!r} does not name a file")
    else:
        path = DEFAULT_CONFIG_PATH if DEFAULT_CONFIG_PATH.is_file() else None
    targets: list = []
    if path is not None:
        file_values, targets = _read_file(path)
        for key, raw in file_values.items():
            values[key] = _coerce(key, raw, str(path))
        sources.append(str(path))

    for key in _KEYS:
        env_value = environ.get(f"TRACKERBOX_{key.upper()}")
        if env_value:
            values[key] = _coerce(key, env_value, f"TRACKERBOX_{key.upper()}")
            sources.append(f"TRACKERBOX_{key.upper()}")

    data_dir = Path(str(values.get("data_dir") or "instance")).absolute()
    database_url = str(values.get("database_url") or f"sqlite:///{data_dir / 'trackerbox.db'}")
    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        secret_key=None,
        max_upload_bytes=int(values.get("max_upload_bytes", 10 * 1024 * 1024)),
        bcrypt_rounds=int(values.get("bcrypt_rounds", 12)),
        trusted_proxy=str(values["trusted_proxy"]) if values.get("trusted_proxy") else None,
        log_level=str(values.get("log_level", "INFO")).upper(),
        backup_identity_file=Path(str(values["backup_identity_file"])) if values.get("backup_identity_file") else None,
        backup_targets=targets,
        tls_dir=Path(str(values["tls_dir"])).absolute() if values.get("tls_dir") else None,
        lan_ranges=str(values["lan_ranges"]) if values.get("lan_ranges") else None,
        admin_ranges=str(values["admin_ranges"]) if values.get("admin_ranges") else None,
        source=sources,
        key_dir=Path(str(values["key_dir"])).absolute() if values.get("key_dir") else None,
    )
    _apply_backup_keys(settings, values)
    settings.secret_key = _resolve_secret_key(values, settings)
    _validate(settings)
    return settings


def _apply_backup_keys(settings: Settings, values: dict[str, object]) -> None:
    for key in ("smtp_host", "smtp_from", "smtp_to", "smtp_user", "smtp_password"):
        if values.get(key):
            setattr(settings, key, str(values[key]).strip())
    settings.smtp_port = int(values.get("smtp_port", 25))
    settings.smtp_security = str(values.get("smtp_security", "none")).lower()
    settings.backup_time = str(values.get("backup_time", "02:00")).strip()
    settings.backup_weekly_day = str(values.get("backup_weekly_day", "sun")).strip().lower()


def _validate_backup_keys(settings: Settings) -> None:
    if settings.smtp_host and not (settings.smtp_from and settings.smtp_to):
        raise ConfigError("smtp_host is set but smtp_from or smtp_to is missing; set both, "
                          "for example smtp_from = trackerbox@example.com")
    if not 1 <= settings.smtp_port <= 65535:
        raise ConfigError(f"smtp_port = {settings.smtp_port} is outside 1..65535")
    if settings.smtp_security not in SMTP_SECURITY:
        raise ConfigError(f"smtp_security = {settings.smtp_security!r} is not one of {', '.join(SMTP_SECURITY)}")
    hour, _, minute = settings.backup_time.partition(":")
    if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60 and len(minute) == 2):
        raise ConfigError(f"backup_time = {settings.backup_time!r} is not a time of day; use HH:MM, such as 02:00")
    if settings.backup_weekly_day not in WEEKDAYS:
        raise ConfigError(f"backup_weekly_day = {settings.backup_weekly_day!r} is not one of {', '.join(WEEKDAYS)}")


def _resolve_secret_key(values: dict[str, object], settings: Settings) -> str | None:
    if values.get("secret_key"):
        return str(values["secret_key"])
    key_file = Path(str(values["secret_key_file"])) if values.get("secret_key_file") else settings.secret_key_path
    try:
        return key_file.read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"cannot read the secret key file {key_file}: {exc}") from exc


def _validate(settings: Settings) -> None:
    if not settings.database_url.startswith(("sqlite:", "postgresql")):
        raise ConfigError(
            f"database_url {settings.database_url.split('@')[-1]!r} is not supported; "
            "use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"
        )
    if settings.max_upload_bytes < 1024:
        raise ConfigError(f"max_upload_bytes = {settings.max_upload_bytes} is too small; use at least 1024")
    if not 4 <= settings.bcrypt_rounds <= 16:
        raise ConfigError(f"bcrypt_rounds = {settings.bcrypt_rounds} is outside 4..16; the default is 12")
    try:
        from app.security.client import parse_proxy_networks

        parse_proxy_networks(settings.trusted_proxy)
    except ValueError as exc:
        raise ConfigError(f"trusted_proxy = {settings.trusted_proxy!r} is not an address or CIDR range ({exc}); "
                          "use for example 127.0.0.1 or 127.0.0.1, ::1") from None
    if settings.log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError(f"log_level = {settings.log_level!r} is not one of DEBUG, INFO, WARNING, ERROR")
    _validate_backup_keys(settings)


def secret_key_problem(key: str | None) -> str | None:
    """Return why ``key`` is unfit to sign sessions, or None when it is strong enough."""
    if not key:
        return "no secret key is set; run `trackerbox setup` or set TRACKERBOX_SECRET_KEY"
    if key.lower() in KNOWN_WEAK_KEYS or len(key) < MIN_SECRET_KEY_LENGTH:
        return f"the secret key is weak; use at least {MIN_SECRET_KEY_LENGTH} random characters (`trackerbox setup` makes one)"
    if len(set(key)) < MIN_SECRET_KEY_DISTINCT_CHARS:
        return "the secret key repeats too few characters to be random; generate a new one with `trackerbox setup`"
    return None


def write_secret_key(path: Path) -> str:
    """Create a new random secret key file readable by its owner only (mode 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return key
