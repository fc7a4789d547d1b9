"""Settings: one pydantic-settings model, from a TOML file and ``EDOSSIER_*`` variables.

Precedence (highest first): explicit overrides (the CLI), environment variables
(``EDOSSIER_OCR__ENGINE=rapidocr``), the TOML file (``EDOSSIER_CONFIG`` or
``./edossier.toml``), then defaults that work on a fresh machine with no server.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from edossier.errors import ConfigurationError


def default_data_dir() -> Path:
    return Path(os.environ.get("EDOSSIER_DATA_DIR", Path.cwd() / ".edossier"))


class Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OcrSettings(Section):
    engine: Literal["tesseract", "rapidocr", "paddleocr", "auto"] = Field(
        default="rapidocr", description="auto = rapidocr (PP-OCR on ONNX Runtime), the most accurate in bench/ocr.py"
    )
    languages: str = Field(default="chi_sim+eng", description="Tesseract languages, e.g. chi_sim+chi_tra+eng")
    psm: int = Field(default=6, description="Tesseract page segmentation mode")
    jobs: int = Field(default=0, description="pages OCRed at once; 0 = number of CPUs")
    threads: int = Field(
        default=0, description="threads each page's engine may use; 0 = the CPUs left per job (at least 1)"
    )
    drop_red: bool = Field(
        default=True, description="OCR reads the red channel, so red seals fade (and red headings with them)"
    )
    det_limit_side_len: int = Field(
        default=960, description="PP-OCR text detection runs with the page's longer side scaled to this"
    )
    det_box_thresh: float = Field(
        default=0.3, description="PP-OCR: mean text score a detected box needs (RapidOCR's 0.5 lost sparse lines)"
    )
    rec_batch_num: int = Field(
        default=1, description="PP-OCR text lines recognised per model call (1: no padding to the widest line)"
    )
    rec_margin: float = Field(
        default=0.6,
        ge=0.0,
        le=1.0,
        description="PP-OCR: blank margin added above and below each line, as a share of its height, before "
        "recognition: smaller characters in the model's 48-px input, a narrower input, less time",
    )
    runtime: Literal["auto", "openvino", "onnxruntime"] = Field(
        default="auto", description="PP-OCR model runtime; auto = OpenVINO where installed (faster on CPUs), else ONNX Runtime"
    )
    bf16: bool = Field(
        default=True, description="OpenVINO: run PP-OCR in bfloat16 where the CPU has it (AMX / AVX-512 BF16)"
    )
    line_orientation: bool = Field(
        default=False,
        description="PP-OCR: turn upside-down text lines (cls model); off because cleanup already turns pages "
        "upright, and on upright pages the model turned lines (××× placeholders, a line under a seal) over",
    )
    page_timeout_s: float = 300.0
    paddle_model_dir: Path | None = Field(
        default=None, description="PaddleOCR: folder with det/ and rec/ inference models (never downloaded)"
    )


class ClassifySettings(Section):
    review_threshold: float = 0.6
    model_path: Path | None = None
    split: Literal["auto", "none", "cover-sheets"] = Field(
        default="auto",
        description="how an input file is cut into documents: auto = at cover sheets, else by content "
        "(智能编目); cover-sheets = only at cover sheets; none = one file, one document",
    )


class BindSettings(Section):
    jpeg_quality: int = 75
    author: str = "edossier"
    court: str = Field(default="", description="court name printed on the cover (卷皮)")
    bilevel_text: bool = Field(default=True, description="text-on-paper pages as lossless bilevel CCITT G4")
    chunk_pages: int = Field(default=64, description="pages built in memory at once")
    jobs: int = Field(default=0, description="processes encoding the page images binding finds not encoded yet; 0 = number of CPUs")
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


class StorageSettings(Section):
    """How sealed objects are kept; S3 credentials come from here (file or environment), never the URI."""

    retention_years: int = Field(default=30, ge=1, description="COMPLIANCE retention of each sealed S3 version")
    legal_hold: bool = Field(default=False, description="also put a legal hold on every sealed S3 version")
    access_key: str | None = Field(default=None, description="S3 access key (EDOSSIER_STORAGE__ACCESS_KEY)")
    secret_key: SecretStr | None = Field(default=None, description="S3 secret key (EDOSSIER_STORAGE__SECRET_KEY)")
    region: str | None = None
    retries: int = Field(default=4, ge=0, description="tries after the first when the server is unreachable")
    retry_backoff_s: float = Field(default=0.5, ge=0, description="first wait; doubled on each retry")
    timeout_s: float = Field(default=30.0, gt=0, description="connect and read timeout of one request")
    jobs: int = Field(default=4, ge=1, description="objects sealed at once when publishing a version")


class ScanSettings(Section):
    """How the filing window scans and how a batch is checked (see docs/scanning.md)."""

    resolution: int = 300
    mode: Literal["color", "gray", "lineart"] = "color"
    source: Literal["flatbed", "adf", "duplex"] = "adf"
    page_size: Literal["A4", "A3", "A5", "B5", "Letter", "Legal"] = "A4"
    sane_config_dir: Path | None = Field(
        default=None, description="SANE_CONFIG_DIR for the SANE driver; None = the system's"
    )
    sane_page_timeout_s: float = Field(
        default=120.0, gt=0, description="a SANE page taking longer ends the batch and restarts the driver"
    )
    sane_cancel_timeout_s: float = Field(
        default=15.0, gt=0, description="a SANE driver still cancelling after this long is restarted"
    )
    escl_timeout_s: float = 30.0
    folder_stable_s: float = Field(default=2.0, description="a hot-folder file is taken once unchanged this long")
    folder_poll_s: float = 0.5
    blank_ink_ratio: float = Field(default=0.002, description="a page with less ink than this is blank")
    duplicate_difference: float = Field(
        default=1.5, description="mean grey difference (0-255) under which consecutive pages are the same sheet"
    )


class CleanupSettings(Section):
    """Page cleanup (ingest/cleanup.py): sizes in millimetres so they hold at any dpi."""

    enabled: bool = True
    analysis_dpi: float = Field(
        default=100.0, description="the page is analysed on a copy reduced by a whole factor to about this resolution"
    )
    max_skew_degrees: float = 20.0
    min_skew_degrees: float = Field(default=0.05, description="smaller skews are left alone (no resampling)")
    min_dpi: float = Field(default=200.0, description="pages below are flagged low_resolution")
    recognition_dpi: float = Field(default=300.0, description="low-resolution pages are upscaled to this for OCR")
    ink_threshold: float = Field(default=0.6, description="darker than this share of the paper is ink")
    speckle_max_mm2: float = Field(default=0.6, description="smaller dark specks are not content (blank test, skew)")
    despeckle_max_mm2: float = Field(
        default=0.05, description="smaller specks are removed from the recognition image (a dot of 氵 is larger)"
    )
    blank_max_ink_mm2: float = Field(default=8.0, description="pages with less content ink are blank")
    recognition_paper: float = Field(
        default=0.9, description="lighter than this share of the paper becomes white in the recognition image"
    )


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
    storage: StorageSettings = StorageSettings()
    scan: ScanSettings = ScanSettings()
    cleanup: CleanupSettings = CleanupSettings()

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
    try:
        return Settings(**{key: value for key, value in overrides.items() if value is not None})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}" for error in exc.errors()
        )
        raise ConfigurationError(f"invalid settings: {problems}") from None
