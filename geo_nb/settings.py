"""Configuration: where NCBI lives, who we are, where the cache goes.

``Settings()`` reads the environment each time it is built; every field can be
overridden per client (``GEOClient(max_concurrency=4)``) or with
``settings.replace(...)``. The API key is a ``SecretStr``: it never appears in a
repr, a log line or an error message.

Example:
    >>> from geo_nb import Settings
    >>> s = Settings(eutils_url="http://127.0.0.1:8080/entrez/eutils/", api_key="k")
    >>> s.eutils_url
    'http://127.0.0.1:8080/entrez/eutils'
    >>> "k" in repr(s.api_key)
    False
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from .errors import ConfigError

__all__ = ["DEFAULT_URLS", "ENV_VARS", "Settings", "default_cache_dir"]

DEFAULT_EUTILS_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils"
DEFAULT_ACC_URL = "https://www.ncbi.nlm.nih.gov/geo/query/acc.cgi"
DEFAULT_FTP_URL = "https://ftp.ncbi.nlm.nih.gov/geo"
DEFAULT_DOWNLOAD_URL = "https://www.ncbi.nlm.nih.gov/geo/download"
DEFAULT_ENA_URL = "https://www.ebi.ac.uk/ena/portal/api"
DEFAULT_ENA_FILES_URL = "https://ftp.sra.ebi.ac.uk"

#: Field name -> environment variable that sets it.
ENV_VARS: dict[str, str] = {
    "eutils_url": "GEO_NB_EUTILS_URL",
    "acc_url": "GEO_NB_ACC_URL",
    "ftp_url": "GEO_NB_FTP_URL",
    "api_key": "NCBI_API_KEY",
    "email": "NCBI_EMAIL",
    "cache_dir": "GEO_NB_CACHE_DIR",
    "max_concurrency": "GEO_NB_MAX_CONCURRENCY",
    "timeout": "GEO_NB_TIMEOUT",
    "max_attempts": "GEO_NB_MAX_ATTEMPTS",
    "cache_ttl_days": "GEO_NB_CACHE_TTL_DAYS",
    "cache_max_bytes": "GEO_NB_CACHE_MAX_BYTES",
    "offline_demo": "GEO_NB_OFFLINE",
    "metadata_source": "GEO_NB_METADATA_SOURCE",
    "download_url": "GEO_NB_DOWNLOAD_URL",
    "ena_url": "GEO_NB_ENA_URL",
    "ena_files_url": "GEO_NB_ENA_FILES_URL",
    "catalog": "GEO_NB_CATALOG",
}

_TRUE = {"1", "true", "yes", "on"}
MetadataSource = Literal["auto", "acc", "ftp"]


def _env(field: str, default: Any = None) -> Any:
    value = os.environ.get(ENV_VARS[field], "").strip()
    return value if value else default


def default_cache_dir() -> Path:
    """The platform's user cache folder for geo_nb."""
    return Path(platformdirs.user_cache_dir("geo_nb", appauthor=False))


#: The NCBI addresses a field holds when the environment does not set it.
DEFAULT_URLS: dict[str, str] = {
    "eutils_url": DEFAULT_EUTILS_URL,
    "acc_url": DEFAULT_ACC_URL,
    "ftp_url": DEFAULT_FTP_URL,
    "download_url": DEFAULT_DOWNLOAD_URL,
    "ena_url": DEFAULT_ENA_URL,
    "ena_files_url": DEFAULT_ENA_FILES_URL,
}


class Settings(BaseModel):
    """geo_nb configuration, read from the environment.

    ==================  =========================  ===============================================
    field               environment variable       default
    ==================  =========================  ===============================================
    eutils_url          GEO_NB_EUTILS_URL          https://eutils.ncbi.nlm.nih.gov/entrez/eutils
    acc_url             GEO_NB_ACC_URL             https://www.ncbi.nlm.nih.gov/geo/query/acc.cgi
    ftp_url             GEO_NB_FTP_URL             https://ftp.ncbi.nlm.nih.gov/geo
    api_key             NCBI_API_KEY               none (3 E-utilities requests/s; 10/s with a key)
    email               NCBI_EMAIL                 none (sent as ``email=``, with ``tool=geo_nb``)
    cache_dir           GEO_NB_CACHE_DIR           the platform's user cache dir + ``geo_nb``
    max_concurrency     GEO_NB_MAX_CONCURRENCY     10 requests in flight to acc.cgi and FTP
    timeout             GEO_NB_TIMEOUT             60 seconds per request (connect and read)
    max_attempts        GEO_NB_MAX_ATTEMPTS        5 tries per request before giving up
    cache_ttl_days      GEO_NB_CACHE_TTL_DAYS      7 days before a cached response is refetched
    cache_max_bytes     GEO_NB_CACHE_MAX_BYTES     2 GiB of cached answers (least recently used go)
    offline_demo        GEO_NB_OFFLINE             false (true: the offline demo's recordings)
    metadata_source     GEO_NB_METADATA_SOURCE     auto: acc.cgi, the FTP tree when acc.cgi fails
                                                   (``acc``: acc.cgi only; ``ftp``: FTP first)
    download_url        GEO_NB_DOWNLOAD_URL        https://www.ncbi.nlm.nih.gov/geo/download
    ena_url             GEO_NB_ENA_URL             https://www.ebi.ac.uk/ena/portal/api
    ena_files_url       GEO_NB_ENA_FILES_URL       https://ftp.sra.ebi.ac.uk (ENA's FASTQ files)
    catalog             GEO_NB_CATALOG             true: every fetch is recorded in the catalog
                                                   (``<cache_dir>/catalog.sqlite3``)
    ==================  =========================  ===============================================
    """

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    eutils_url: str = Field(default_factory=lambda: _env("eutils_url", DEFAULT_EUTILS_URL))
    acc_url: str = Field(default_factory=lambda: _env("acc_url", DEFAULT_ACC_URL))
    ftp_url: str = Field(default_factory=lambda: _env("ftp_url", DEFAULT_FTP_URL))
    api_key: SecretStr | None = Field(default_factory=lambda: _env("api_key"))
    email: str | None = Field(default_factory=lambda: _env("email"))
    cache_dir: Path = Field(default_factory=lambda: _env("cache_dir", default_cache_dir()))
    max_concurrency: int = Field(default_factory=lambda: _env("max_concurrency", 10), ge=1, le=50)
    timeout: float = Field(default_factory=lambda: _env("timeout", 60.0), gt=0)
    max_attempts: int = Field(default_factory=lambda: _env("max_attempts", 5), ge=1, le=20)
    cache_ttl_days: float = Field(default_factory=lambda: _env("cache_ttl_days", 7.0), ge=0)
    cache_max_bytes: int = Field(
        default_factory=lambda: _env("cache_max_bytes", 2 * 1024**3), ge=1024 * 1024
    )
    catalog: bool = Field(
        default_factory=lambda: str(_env("catalog", "1")).lower() in _TRUE,
        description="Record every fetch in the catalog (geo_nb.catalog()).",
    )
    offline_demo: bool = Field(
        default_factory=lambda: str(_env("offline_demo", "")).lower() in _TRUE,
        description="True in the offline demo: answers come from recordings, which never change.",
    )
    tool: str = "geo_nb"
    metadata_source: MetadataSource = Field(
        default_factory=lambda: _env("metadata_source", "auto"),
        description="Where records come from: acc.cgi, falling back to GEO's FTP tree and "
        "E-utilities summaries (auto), acc.cgi only (acc), or the FTP tree first (ftp).",
    )
    download_url: str = Field(
        default_factory=lambda: _env("download_url", DEFAULT_DOWNLOAD_URL),
        description="GEO's download service: NCBI-computed RNA-seq counts.",
    )
    ena_url: str = Field(default_factory=lambda: _env("ena_url", DEFAULT_ENA_URL))
    ena_files_url: str = Field(
        default_factory=lambda: _env("ena_files_url", DEFAULT_ENA_FILES_URL),
        description="Where ENA's FASTQ paths (ftp.sra.ebi.ac.uk/vol1/...) are fetched from.",
    )

    def __init__(self, **data: Any) -> None:
        # Building settings never starts anything: GEO_NB_OFFLINE only sets ``offline_demo``;
        # the demo server is started where a client is made (geo_nb.offline).
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise ConfigError(_explain(exc)) from None

    @field_validator("eutils_url", "acc_url", "ftp_url", "download_url", "ena_url", "ena_files_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"must start with http:// or https://, got {value!r}")
        return value

    @field_validator("metadata_source", mode="before")
    @classmethod
    def _lower_source(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("email")
    @classmethod
    def _check_email(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if not value or " " in value or "@" not in value:
            raise ValueError(f"must be an e-mail address without spaces, got {value!r}")
        return value

    @field_validator("cache_dir")
    @classmethod
    def _expand_cache_dir(cls, value: Path) -> Path:
        return Path(value).expanduser()

    @property
    def api_key_value(self) -> str | None:
        """The plain API key, for building requests only (never log it)."""
        return self.api_key.get_secret_value() if self.api_key else None

    @property
    def eutils_rate(self) -> float:
        """E-utilities requests per second NCBI allows: 10 with an API key, else 3."""
        return 10.0 if self.api_key else 3.0

    def replace(self, **overrides: Any) -> Settings:
        """A copy with some fields changed (validated like the constructor)."""
        data = self.model_dump()
        data["api_key"] = self.api_key_value
        data.update(overrides)
        return Settings(**data)


def _explain(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "settings"
        env = ENV_VARS.get(field)
        where = f"{field} (environment variable {env})" if env else field
        value = err.get("input")
        shown = "***" if field == "api_key" else repr(value)
        parts.append(f"{where}: {err['msg']} (got {shown})")
    return "Invalid geo_nb settings: " + "; ".join(parts) + "."
