"""Settings: one pydantic-settings model, from a TOML file and ``EDOSSIER_*`` variables.

Precedence (highest first): explicit overrides (the CLI), environment variables
(``EDOSSIER_OCR__ENGINE=rapidocr``), the TOML file (``EDOSSIER_CONFIG`` or
``./edossier.toml``), then defaults that work on a fresh machine with no server.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


def default_data_dir() -> Path:
    return Path(os.environ.get("EDOSSIER_DATA_DIR", Path.cwd() / ".edossier"))


class Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OcrSettings(Section):
    engine: Literal["tesseract", "rapidocr", "paddleocr", "auto"] = "tesseract"
    languages: str = "chi_sim+eng"
    psm: int = 6
    jobs: int = Field(default=0, description="pages OCRed at once; 0 = number of CPUs")
    page_timeout_s: float = 300.0
    paddle_model_dir: Path | None = None


class ClassifySettings(Section):
    review_threshold: float = 0.6
    model_path: Path | None = None


class BindSettings(Section):
    jpeg_quality: int = 75
    author: str = "edossier"
    court: str = Field(default="", description="court name printed on the cover (卷皮)")
    bilevel_text: bool = Field(default=True, description="text-on-paper pages as lossless bilevel CCITT G4")
    chunk_pages: int = Field(default=64, description="pages built in memory at once")
    jobs: int = Field(default=0, description="processes encoding page images; 0 = number of CPUs")
    order_file: Path | None = Field(default=None, description="binding order per case type; None = bind/order.toml")


class SigningSettings(Section):
    pkcs12: Path | None = Field(default=None, description="signing key; None = development key")
    passphrase: str | None = None
    trust_roots: tuple[Path, ...] = ()
    timestamp_url: str | None = None
    reason: str = "电子卷宗装订 (e-dossier binding)"


class LimitsSettings(Section):
    max_file_bytes: int = 2 * 1024**3
    max_pages: int = 20_000
    max_pixels_per_page: int = 150_000_000
    raster_dpi: int = 300


class WebSettings(Section):
    """The web reader: where it listens, how long a sign-in lasts, what an upload may be."""

    host: str = "127.0.0.1"
    port: int = 8600
    accounts_db: Path | None = Field(default=None, description="users and sessions; None = data_dir/web/accounts.sqlite3")
    search_db: Path | None = Field(default=None, description="search index, rebuildable; None = data_dir/web/search.sqlite3")
    session_idle_s: int = 30 * 60
    session_max_s: int = 10 * 60 * 60
    cookie_secure: bool = Field(default=False, description="set behind HTTPS so the session cookie never travels in clear")
    upload_max_bytes: int = 200 * 1024**2
    upload_max_files: int = 20
    upload_types: tuple[str, ...] = ("application/pdf", "image/png", "image/jpeg", "image/tiff")
    min_password_length: int = 10


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="EDOSSIER_", env_nested_delimiter="__", frozen=True, extra="forbid"
    )

    data_dir: Path = Field(default_factory=default_data_dir)
    store: str = Field(default="", description="store URI; empty = file:// under data_dir/store")
    user: str = Field(default_factory=lambda: os.environ.get("USER", "clerk") or "clerk")
    ocr: OcrSettings = OcrSettings()
    classify: ClassifySettings = ClassifySettings()
    bind: BindSettings = BindSettings()
    signing: SigningSettings = SigningSettings()
    limits: LimitsSettings = LimitsSettings()
    web: WebSettings = WebSettings()

    @property
    def store_uri(self) -> str:
        return self.store or (self.data_dir / "store").resolve().as_uri()

    @property
    def work_dir(self) -> Path:
        return self.data_dir / "work"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = Path(os.environ.get("EDOSSIER_CONFIG", "edossier.toml"))
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=toml_file))


def load_settings(**overrides: Any) -> Settings:
    """Build settings once at the edge; None-valued overrides are ignored."""
    return Settings(**{key: value for key, value in overrides.items() if value is not None})
