"""The one table of CIRCLE_* settings (SPEC §2), read once at start, never at import time."""
from __future__ import annotations

import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

from circle import datadir
from circle.errors import SettingsError
from circle.pipeline.limits import DEFAULT_PIDS
from circle.remote.hosts import HostPolicy
from circle.rpc.protocol import MAX_POLL_SECONDS, MIN_POLL_SECONDS
from circle.s3_signing import Bucket


@dataclass(frozen=True)
class Setting:
    """One environment setting: its name, type, default and help text; `fallbacks` are read when it is unset."""

    name: str
    type: type
    default: Any
    help: str
    fallbacks: tuple[str, ...] = ()


SETTINGS: tuple[Setting, ...] = (
    Setting("CIRCLE_DATA_DIR", str, "./.circle", "SQLite file, agent workspaces, generated keys"),
    Setting("CIRCLE_DATABASE_URL", str, "", "SQLAlchemy URL; default sqlite:///$CIRCLE_DATA_DIR/circle.db"),
    Setting("CIRCLE_SECRET_KEY", str, "", "signs hook tokens and sessions; derives the secrets key (generated once)"),
    Setting("CIRCLE_HOST", str, "http://127.0.0.1:8000", "public base URL for hook URLs, links and uploads"),
    Setting("CIRCLE_AGENT_SECRET", str, "", "shared secret agents present on /rpc (generated once)"),
    Setting("CIRCLE_PUBSUB_URL", str, "", "redis://… or postgresql… for several server processes; empty = in-process"),
    Setting("CIRCLE_DB_POOL_SIZE", int, 10, "database connections one server process keeps open (not SQLite)"),
    Setting("CIRCLE_DB_MAX_OVERFLOW", int, 10, "extra connections a process may open beyond the pool (not SQLite)"),
    Setting("CIRCLE_DB_POOL_TIMEOUT", int, 30, "seconds a request waits for a free connection (not SQLite)"),
    Setting("CIRCLE_LOG_LEVEL", str, "info", "debug, info, warning or error"),
    Setting("CIRCLE_SERVER", str, "http://127.0.0.1:8000",
            "where the CLI client talks to; for an agent, comma-separated URLs of servers of one database"),
    Setting("CIRCLE_TOKEN", str, "", "API token for the CLI client commands"),
    Setting("CIRCLE_AGENT_BACKEND", str, "auto", "docker, local or auto"),
    Setting("CIRCLE_AGENT_MAX_PROCS", int, 1, "workflows one agent runs at once"),
    Setting("CIRCLE_AGENT_LABELS", str, "", "key=value,key=value labels of an agent"),
    Setting("CIRCLE_AGENT_POLL_SECONDS", int, 55,
            "seconds an idle agent's request for work waits (1-300); keep it below any proxy's read timeout"),
    Setting("CIRCLE_AGENT_LOCAL_USER", str, "nobody", "user (name or uid) a root agent runs sandboxed local steps as"),
    Setting("CIRCLE_AGENT_LOCAL_PIDS", int, DEFAULT_PIDS,
            "most processes the local steps' user may have (RLIMIT_NPROC)"),
    Setting("CIRCLE_AGENT_LOCAL_NETWORK", bool, True,
            "local steps share the host's network (its loopback services included); false = none"),
    Setting("CIRCLE_AGENT_LOCAL_UNSAFE", bool, False,
            "run local steps without a sandbox when bubblewrap cannot be used, even as root or for untrusted repos"),
    Setting("CIRCLE_LEASE_SECONDS", int, 30, "seconds an agent holds a task without extending it"),
    Setting("CIRCLE_LOG_MAX_BYTES", int, 50 * 1024 * 1024, "bytes of output stored per step; the rest is dropped"),
    Setting("CIRCLE_LOG_STORE", str, "",
            "where finished logs go: empty = the database, file = $CIRCLE_DATA_DIR/logs, s3://BUCKET/PREFIX"),
    Setting("CIRCLE_S3_ENDPOINT", str, "",
            "URL of the S3 service of the log bucket; empty = https://s3.REGION.amazonaws.com",
            ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")),
    Setting("CIRCLE_S3_REGION", str, "us-east-1", "region the requests to the log bucket are signed for",
            ("AWS_REGION", "AWS_DEFAULT_REGION")),
    Setting("CIRCLE_S3_ACCESS_KEY", str, "", "access key id for the log bucket (with CIRCLE_LOG_STORE=s3://…)",
            ("AWS_ACCESS_KEY_ID",)),
    Setting("CIRCLE_S3_SECRET_KEY", str, "", "secret access key for the log bucket; never logged or shown",
            ("AWS_SECRET_ACCESS_KEY",)),
    Setting("CIRCLE_SESSION_IDLE", int, 3 * 86400, "seconds a dashboard session lives without a request"),
    Setting("CIRCLE_SESSION_MAX", int, 30 * 86400, "seconds a dashboard session lives at most, however active"),
    Setting("CIRCLE_METRICS_TOKEN", str, "",
            "bearer token /metrics requires; empty: /metrics answers loopback clients only"),
    Setting("CIRCLE_LOGIN_FAILURES", int, 5,
            "failed logins a minute allowed per client address and per login before 429; 0 = no limit"),
    Setting("CIRCLE_SCM_ALLOWED_HOSTS", str, "",
            "host names, IP networks (CIDR) or * that SCMs of non-admins may reach besides public addresses"),
    Setting("CIRCLE_HOOK_DELIVERY_RETENTION", int, 7 * 86400,
            "seconds a webhook delivery id is remembered, so a replay of it within that time builds nothing"),
    Setting("CIRCLE_RETENTION_DAYS", int, 0,
            "finished builds older than this many days are deleted (repos may override); 0 = keep forever"),
    Setting("CIRCLE_RETENTION_KEEP_MIN", int, 10,
            "the newest this many builds of each branch are kept whatever their age (repos may override)"),
    Setting("CIRCLE_ARTIFACT_RETENTION_DAYS", int, 0,
            "artifacts older than this many days are deleted (repos may override); 0 = keep forever"),
    Setting("CIRCLE_ARTIFACT_MAX_BUILD_BYTES", int, 1024 ** 3,
            "bytes of artifacts and reports one build may store; an upload past it is refused; 0 = no limit"),
    Setting("CIRCLE_ARTIFACT_MAX_REPO_BYTES", int, 0,
            "bytes of artifacts and reports all builds of one repo may store together; 0 = no limit"),
    Setting("CIRCLE_REPORT_OUTPUT_MAX", int, 4096,
            "characters of failure text and output kept per test case of a JUnit report; the rest is cut off"),
)

LOG_STORES = ("", "file")
# S3's rule for bucket names: 3-63 lowercase letters, digits, dots and hyphens, a letter or digit at each end.
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")

LOG_LEVELS = ("debug", "info", "warning", "error")


@dataclass(frozen=True)
class Settings:
    """The resolved settings of one process."""

    data_dir: Path
    database_url: str
    secret_key: str
    host: str
    agent_secret: str
    pubsub_url: str
    db_pool_size: int
    db_max_overflow: int
    db_pool_timeout: int
    log_level: str
    server: str
    token: str
    agent_backend: str
    agent_max_procs: int
    agent_labels: str
    agent_poll_seconds: int
    agent_local: dict[str, Any]
    lease_seconds: int
    log_max_bytes: int
    log_store: str
    log_bucket: Bucket | None
    log_prefix: str
    session_idle: int
    session_max: int
    login_failures: int
    metrics_token: str
    scm_allowed_hosts: HostPolicy
    hook_delivery_retention: int
    retention_days: int
    retention_keep_min: int
    artifact_retention_days: int
    artifact_max_build_bytes: int
    artifact_max_repo_bytes: int
    report_output_max: int

    def as_flask_config(self) -> dict[str, Any]:
        """Return the Flask config keys these settings imply (the session cookie is Secure behind https)."""
        return {
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "SECRET_KEY": self.secret_key,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": self.host.startswith("https://"),
            "PERMANENT_SESSION_LIFETIME": self.session_max,
            "CIRCLE_SETTINGS": self,
        }


def _convert(setting: Setting, raw: str) -> Any:
    """Turn the raw text of a setting into its type, or raise SettingsError."""
    if setting.type is bool:
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise SettingsError(f"{setting.name} must be true or false, not {raw!r}")
    if setting.type is int:
        try:
            return int(raw)
        except ValueError:
            raise SettingsError(f"{setting.name} must be a whole number, not {raw!r}") from None
    return raw


def _persistent_secret(data_dir: Path, filename: str) -> str:
    """Return the secret stored in data_dir/filename, generating it (mode 0600) on first use.

    Processes starting together on one data dir agree: each writes its value to a file of its own and links it
    to the name, which only the first link gets, so the name never shows a half-written value.
    """
    path = data_dir / filename
    if not path.exists():
        datadir.private_dir(data_dir)
        fd, draft = tempfile.mkstemp(dir=data_dir, prefix=f".{filename}.")  # 0600
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32) + "\n")  # never starts with "-": `circle agent --secret VALUE`
            os.link(draft, path)
        except FileExistsError:
            pass  # another process was first: its value it is
        finally:
            os.unlink(draft)
    return path.read_text().strip()


def raw_values(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return every setting by name, typed, defaults filled in; nothing generated, nothing validated beyond type."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = next((env[name] for name in (setting.name, *setting.fallbacks) if env.get(name)), "")
        values[setting.name] = _convert(setting, raw) if raw != "" else setting.default
    return values


def _check_database_url(url: str) -> None:
    """Raise SettingsError when SQLAlchemy cannot use `url` (malformed, unknown dialect, driver missing)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        make_url(url).get_dialect()
    except (ArgumentError, NoSuchModuleError, ValueError) as err:
        raise SettingsError(f"CIRCLE_DATABASE_URL {url!r} is not a usable SQLAlchemy URL: {err}") from None
    except ImportError as err:
        raise SettingsError(f"the database driver for CIRCLE_DATABASE_URL is not installed: {err}") from None


# The least value each pool, session and retention setting takes.
POOL_MINIMUMS = {"CIRCLE_DB_POOL_SIZE": 1, "CIRCLE_DB_MAX_OVERFLOW": 0, "CIRCLE_DB_POOL_TIMEOUT": 1,
                 "CIRCLE_SESSION_IDLE": 60, "CIRCLE_SESSION_MAX": 60, "CIRCLE_LOGIN_FAILURES": 0,
                 "CIRCLE_HOOK_DELIVERY_RETENTION": 60, "CIRCLE_RETENTION_DAYS": 0,
                 "CIRCLE_RETENTION_KEEP_MIN": 0, "CIRCLE_ARTIFACT_RETENTION_DAYS": 0,
                 "CIRCLE_ARTIFACT_MAX_BUILD_BYTES": 0, "CIRCLE_ARTIFACT_MAX_REPO_BYTES": 0,
                 "CIRCLE_REPORT_OUTPUT_MAX": 0}


def agent_poll_seconds(values: Mapping[str, Any]) -> int:
    """Return CIRCLE_AGENT_POLL_SECONDS, or raise SettingsError when the protocol does not allow it."""
    seconds = values["CIRCLE_AGENT_POLL_SECONDS"]
    if not MIN_POLL_SECONDS <= seconds <= MAX_POLL_SECONDS:
        raise SettingsError(f"CIRCLE_AGENT_POLL_SECONDS must be from {MIN_POLL_SECONDS:g} to "
                            f"{MAX_POLL_SECONDS:g}, not {seconds}")
    return seconds


def scm_allowed_hosts(values: Mapping[str, Any]) -> HostPolicy:
    """Return CIRCLE_SCM_ALLOWED_HOSTS as a HostPolicy, or raise SettingsError naming the entry it cannot read."""
    try:
        return HostPolicy.parse(values["CIRCLE_SCM_ALLOWED_HOSTS"])
    except ValueError as err:
        raise SettingsError(f"CIRCLE_SCM_ALLOWED_HOSTS: {err}") from None


def _check_minimums(values: Mapping[str, Any]) -> None:
    """Raise SettingsError when a pool, session or retention setting is below its minimum."""
    for name, least in POOL_MINIMUMS.items():
        if values[name] < least:
            raise SettingsError(f"{name} must be {least} or more, not {values[name]}")


def log_bucket_of(values: Mapping[str, Any]) -> tuple[Bucket | None, str]:
    """Return the log bucket and key prefix CIRCLE_LOG_STORE names (None, "" for the database or files).

    Raise SettingsError when the store, the bucket's name, the endpoint or the keys are unusable.
    """
    store = values["CIRCLE_LOG_STORE"]
    if not store.startswith("s3://"):
        if store not in LOG_STORES:
            raise SettingsError(f"CIRCLE_LOG_STORE must be empty (the database), file or s3://BUCKET/PREFIX, "
                                f"not {store!r}")
        return None, ""
    name, _, prefix = store[len("s3://"):].partition("/")
    if not BUCKET_NAME.fullmatch(name):
        raise SettingsError(f"CIRCLE_LOG_STORE {store!r} does not name a bucket: s3://BUCKET/PREFIX, where BUCKET "
                            "has 3-63 lowercase letters, digits, dots or hyphens")
    region = values["CIRCLE_S3_REGION"]
    endpoint = values["CIRCLE_S3_ENDPOINT"] or f"https://s3.{region}.amazonaws.com"
    parts = urlsplit(endpoint)
    if (parts.scheme not in ("http", "https") or not parts.hostname or parts.username is not None
            or parts.path.strip("/") or parts.query):
        raise SettingsError(f"CIRCLE_S3_ENDPOINT must be an http:// or https:// URL of a host, not {endpoint!r}")
    if not values["CIRCLE_S3_ACCESS_KEY"] or not values["CIRCLE_S3_SECRET_KEY"]:
        raise SettingsError("CIRCLE_LOG_STORE=s3://… needs CIRCLE_S3_ACCESS_KEY and CIRCLE_S3_SECRET_KEY")
    return Bucket(endpoint=endpoint.rstrip("/"), region=region, name=name, access_key=values["CIRCLE_S3_ACCESS_KEY"],
                  secret_key=values["CIRCLE_S3_SECRET_KEY"]), prefix.strip("/")


def local_options(values: Mapping[str, Any]) -> dict[str, Any]:
    """Return the local backend's options (user, pids, network, unsafe) from the settings."""
    return {"user": values["CIRCLE_AGENT_LOCAL_USER"], "pids": values["CIRCLE_AGENT_LOCAL_PIDS"],
            "network": values["CIRCLE_AGENT_LOCAL_NETWORK"], "unsafe": values["CIRCLE_AGENT_LOCAL_UNSAFE"]}


def load(environ: Mapping[str, str] | None = None, *, generate: bool = True) -> Settings:
    """Read every CIRCLE_* setting from `environ` (default os.environ); generate missing keys when `generate`."""
    values = raw_values(environ)
    data_dir = Path(values["CIRCLE_DATA_DIR"]).expanduser().resolve()
    database_url = values["CIRCLE_DATABASE_URL"] or f"sqlite:///{data_dir / 'circle.db'}"
    if generate:
        datadir.private_dir(data_dir)
        if database_url.startswith("sqlite:///") and not database_url.startswith("sqlite:///:memory:"):
            datadir.private_sqlite(Path(database_url[len("sqlite:///"):].partition("?")[0]))
    _check_database_url(database_url)
    secret_key = values["CIRCLE_SECRET_KEY"] or (_persistent_secret(data_dir, "secret_key") if generate else "")
    agent_secret = values["CIRCLE_AGENT_SECRET"] or (_persistent_secret(data_dir, "agent_secret") if generate else "")
    level = str(values["CIRCLE_LOG_LEVEL"]).lower()
    if level not in LOG_LEVELS:
        raise SettingsError(f"CIRCLE_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {level!r}")
    _check_minimums(values)
    backend = values["CIRCLE_AGENT_BACKEND"]
    if backend not in ("auto", "docker", "local", "dummy"):
        raise SettingsError(f"CIRCLE_AGENT_BACKEND must be docker, local or auto, not {backend!r}")
    log_store = values["CIRCLE_LOG_STORE"]
    log_bucket, log_prefix = log_bucket_of(values)
    if values["CIRCLE_LOG_MAX_BYTES"] < 1:
        raise SettingsError("CIRCLE_LOG_MAX_BYTES must be at least 1")
    return Settings(
        data_dir=data_dir, database_url=database_url, secret_key=secret_key,
        host=values["CIRCLE_HOST"].rstrip("/"), agent_secret=agent_secret, pubsub_url=values["CIRCLE_PUBSUB_URL"],
        db_pool_size=values["CIRCLE_DB_POOL_SIZE"], db_max_overflow=values["CIRCLE_DB_MAX_OVERFLOW"],
        db_pool_timeout=values["CIRCLE_DB_POOL_TIMEOUT"], log_level=level, server=values["CIRCLE_SERVER"].rstrip("/"),
        token=values["CIRCLE_TOKEN"],
        agent_backend=backend, agent_max_procs=values["CIRCLE_AGENT_MAX_PROCS"],
        agent_labels=values["CIRCLE_AGENT_LABELS"], agent_poll_seconds=agent_poll_seconds(values),
        agent_local=local_options(values),
        lease_seconds=max(1, values["CIRCLE_LEASE_SECONDS"]),
        log_max_bytes=values["CIRCLE_LOG_MAX_BYTES"], log_store=log_store, log_bucket=log_bucket, log_prefix=log_prefix,
        session_idle=values["CIRCLE_SESSION_IDLE"], session_max=values["CIRCLE_SESSION_MAX"],
        login_failures=values["CIRCLE_LOGIN_FAILURES"], metrics_token=values["CIRCLE_METRICS_TOKEN"],
        scm_allowed_hosts=scm_allowed_hosts(values),
        hook_delivery_retention=values["CIRCLE_HOOK_DELIVERY_RETENTION"],
        retention_days=values["CIRCLE_RETENTION_DAYS"], retention_keep_min=values["CIRCLE_RETENTION_KEEP_MIN"],
        artifact_retention_days=values["CIRCLE_ARTIFACT_RETENTION_DAYS"],
        artifact_max_build_bytes=values["CIRCLE_ARTIFACT_MAX_BUILD_BYTES"],
        artifact_max_repo_bytes=values["CIRCLE_ARTIFACT_MAX_REPO_BYTES"],
        report_output_max=values["CIRCLE_REPORT_OUTPUT_MAX"],
    )


def from_mapping(mapping: Mapping[str, Any]) -> Settings:
    """Build settings for tests: CIRCLE_* keys of `mapping` over the defaults, nothing from os.environ."""
    env = {k: str(v) for k, v in mapping.items() if k.startswith("CIRCLE_")}
    return load(env)
