"""Typed settings read from ``PORTAL_*`` environment variables."""

from __future__ import annotations

import ipaddress
import re
import secrets
from pathlib import Path
from typing import Annotated, Literal, Self
from urllib.parse import urlsplit

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from quart import Quart, current_app

GIB = 1024**3
# host[:port] of PORTAL_PUBLIC_URL: a name or an IPv4 or bracketed IPv6 address, no user info.
PUBLIC_HOST = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?"
)


def amqp_nodes(setting: str) -> list[str]:
    """The nodes of ``PORTAL_AMQP_URL``: one URL, or several separated by commas.

    Raises ``ValueError`` for a part that is not an ``amqp://`` or ``amqps://`` URL with a host.
    """
    nodes = [part.strip() for part in setting.split(",") if part.strip()]
    if not nodes:
        raise ValueError("no broker URL given")
    for node in nodes:
        parts = urlsplit(node)
        if parts.scheme not in ("amqp", "amqps") or not parts.hostname:
            raise ValueError(f"not an amqp:// or amqps:// URL with a host: {node!r}")
        _ = parts.port  # raises ValueError for a port out of range or not a number
    return nodes


class Settings(BaseSettings):
    """Everything that differs between a laptop demo and a production deployment."""

    model_config = SettingsConfigDict(env_prefix="PORTAL_", extra="ignore")

    env: Literal["development", "production", "test"] = "development"
    data_dir: Path = Path("var")
    database_url: str | None = None
    amqp_url: str | None = None
    # Per-deployment names so test runs (and staging beside production) never share a broker's
    # exchanges and queues; the contract names are the defaults.
    amqp_prefix: str = "portal"
    # Declare work queues as quorum queues (replicated across a RabbitMQ cluster).
    amqp_quorum_queues: bool = False
    # Several `portal consumer recommender` processes may run: the clicks queue is declared
    # with a single active consumer, the others stand by. Fixed when the queue is first
    # declared, like the quorum type (an existing queue must be deleted to change it).
    recommender_standby: bool = False
    # HOST:PORT where a consumer answers /healthz and /readyz (its role); unset: nowhere.
    consumer_health_bind: str | None = None
    media_root: Path | None = None
    secret_key: str | None = None
    # The site's own address ("https://jobs.example.com"): every absolute link (canonical
    # links, JSON-LD, the Atom feed) is built on it, never on the request's Host header.
    public_url: str | None = None
    max_upload_bytes: int = Field(default=4 * GIB, gt=0)
    # An upload nobody has written to for this long is removed, bytes and all.
    upload_expiry_hours: int = Field(default=24, gt=0)
    default_phone_region: str = "CN"
    cookie_secure: bool | None = None
    session_days_remembered: int = Field(default=30, gt=0)
    session_hours: int = Field(default=12, gt=0)
    allowed_origins: Annotated[list[str], NoDecode] = []
    trusted_proxies: Annotated[list[str], NoDecode] = []
    login_failures_per_account: int = Field(default=5, gt=0)
    login_failures_per_address: int = Field(default=20, gt=0)
    login_failure_window_seconds: int = Field(default=900, gt=0)
    languages: Annotated[list[str], NoDecode] = ["en", "zh_Hans"]
    # Outbound mail: smtp://user:pw@host:587 (STARTTLS when offered), smtps://... (TLS from the
    # first byte); unset, mail is written as .eml files under <data dir>/mail (see /admin/mail).
    smtp_url: str | None = None
    # The From address of every mail.
    mail_from: str = "Portal <no-reply@localhost>"
    # Text messages: the provider's HTTP endpoint (the message is POSTed as JSON); unset, they
    # are written as files under <data dir>/sms.
    sms_url: str | None = None
    # How long a mail consumer holds a message it sends (beyond any backoff wait); another
    # consumer takes it over only after that, so it must outlast one SMTP or gateway attempt.
    mail_lease_seconds: float = Field(default=60.0, gt=0)
    # Which model ranks "Recommended for you": the engine's blend, item, user or popular, or
    # "ease" (trained in the background by the recommender consumer; item-CF until then).
    recs_algorithm: Literal["blend", "item", "user", "popular", "ease"] = "blend"
    # EASE's λ grid: each training picks the best by NDCG@10 on a validation split of the
    # clicks (one value: used as is, nothing evaluated).
    recs_ease_lambdas: Annotated[list[float], NoDecode] = [50.0, 200.0, 500.0, 1000.0]
    # Seconds between EASE trainings in the recommender consumer (0: only at start-up and on
    # demand).
    recs_train_interval_seconds: int = Field(default=3600, ge=0)
    # Adds /_bench/bare, the constant-string baseline that bench/http_pages.py compares with.
    bench_routes: bool = False

    @field_validator(
        "allowed_origins", "trusted_proxies", "languages", "recs_ease_lambdas", mode="before"
    )
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _valid_networks(cls, value: list[str]) -> list[str]:
        for item in value:
            ipaddress.ip_network(item, strict=False)
        return value

    @field_validator("amqp_url")
    @classmethod
    def _valid_amqp_nodes(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None  # PORTAL_AMQP_URL= (empty) means no broker, as unset does
        amqp_nodes(value)
        return value

    @field_validator("smtp_url", "sms_url")
    @classmethod
    def _mail_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        parts = urlsplit(value)
        field = info.field_name or ""
        schemes = {"smtp", "smtps"} if field == "smtp_url" else {"http", "https"}
        if parts.scheme.lower() not in schemes or not parts.hostname:
            names = " or ".join(f"{scheme}://" for scheme in sorted(schemes))
            raise ValueError(f"PORTAL_{field.upper()} must start with {names} and name a host")
        return value

    @field_validator("public_url")
    @classmethod
    def _origin_only(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        parts = urlsplit(value)
        try:
            parts.port  # noqa: B018 - a port past 65535 raises ValueError
        except ValueError:
            raise ValueError("PORTAL_PUBLIC_URL has a port out of range") from None
        if parts.scheme.lower() not in {"http", "https"} or not PUBLIC_HOST.fullmatch(parts.netloc):
            raise ValueError(
                "PORTAL_PUBLIC_URL must be http(s)://host[:port], the host in ASCII (punycode)"
            )
        if parts.path.rstrip("/") or parts.query or parts.fragment or value[-1] in "?#":
            raise ValueError(
                "PORTAL_PUBLIC_URL is the site's origin only, without a path, query or fragment"
            )
        return f"{parts.scheme.lower()}://{parts.netloc.lower()}"

    @model_validator(mode="after")
    def _public_url_in_production(self) -> Self:
        if self.env == "production" and self.public_url is None:
            raise ValueError(
                "PORTAL_PUBLIC_URL must be set in production (e.g. https://jobs.example.com): "
                "absolute links are never built from the request's Host header"
            )
        return self

    def base_url(self, request_host_url: str) -> str:
        """Where absolute links start, without a trailing slash: ``PORTAL_PUBLIC_URL``, or
        in development and tests (where it may be unset) the request's own host."""
        if self.public_url is not None:
            return self.public_url
        # Production cannot get here: the settings refuse to load without the address.
        return request_host_url.rstrip("/")

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'portal.db').resolve()}"

    @property
    def resolved_media_root(self) -> Path:
        return self.media_root if self.media_root is not None else self.data_dir / "media"

    @property
    def mail_dir(self) -> Path:
        """Where mail and text messages go when no server is configured (the embedded default)."""
        return self.data_dir / "outbox"

    @property
    def secure_cookies(self) -> bool:
        return self.cookie_secure if self.cookie_secure is not None else self.env == "production"

    @property
    def trusted_proxy_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_network(item, strict=False) for item in self.trusted_proxies]

    def exchange_name(self) -> str:
        return f"{self.amqp_prefix}.events"

    def queue_name(self, purpose: str) -> str:
        return f"{self.amqp_prefix}.{purpose}"

    def resolve_secret_key(self) -> str:
        """Return the configured secret, or one generated once into the data dir."""
        if self.secret_key:
            if self.env == "production" and (
                len(self.secret_key) < 32 or self.secret_key.lower() in {"changeme", "secret"}
            ):
                raise ValueError("PORTAL_SECRET_KEY is a placeholder: set a long random value")
            return self.secret_key
        if self.env == "production":
            raise ValueError("PORTAL_SECRET_KEY must be set in production")
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key


SETTINGS_KEY = "PORTAL_SETTINGS"


def get_settings(app: Quart | None = None) -> Settings:
    """The settings ``create_app`` was given (of the current app by default)."""
    settings: Settings = (app or current_app).config[SETTINGS_KEY]
    return settings
