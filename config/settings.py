"""Settings: one pydantic-settings model, from a TOML file and ``EDOSSIER_*`` variables.

Precedence (highest first): explicit overrides (the CLI), environment variables
(``EDOSSIER_OCR__ENGINE=rapidocr``), the TOML file (``EDOSSIER_CONFIG`` or
``./edossier.toml``), then defaults that work on a fresh machine with no server.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, DirectoryPath, Field, FilePath, SecretStr, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from edossier.errors import ConfigurationError


def default_data_dir() -> Path:
    return Path(os.environ.get("EDOSSIER_DATA_DIR", Path.cwd() / ".edossier"))


def default_model_cache_dir() -> Path:
    """Where OpenVINO keeps compiled PP-OCR models between processes: the user's cache folder."""
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "edossier" / "openvino"


class Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OcrSettings(Section):
    engine: Literal["tesseract", "rapidocr", "paddleocr", "auto"] = Field(
        default="rapidocr", description="auto = rapidocr (PP-OCR on ONNX Runtime), the most accurate in bench/ocr.py"
    )
    languages: str = Field(default="chi_sim+eng", description="Tesseract languages, e.g. chi_sim+chi_tra+eng")
    psm: int = Field(default=6, description="Tesseract page segmentation mode")
    jobs: int = Field(default=0, description="pages cleaned up and OCRed at once; 0 = number of CPUs")
    threads: int = Field(
        default=0, description="threads each page's engine may use; 0 = the CPUs left per job (at least 1)"
    )
    drop_red: bool = Field(
        default=True, description="OCR reads the red channel, so red seals fade (and red headings with them)"
    )
    det_limit_side_len: int = Field(
        default=960, description="PP-OCR text detection runs at the scale that brings the page's longer side to this, on its inked part (that part to this where the text would be under 6 px there)"
    )
    det_box_thresh: float = Field(
        default=0.3, description="PP-OCR: mean text score a detected box needs (RapidOCR's 0.5 lost sparse lines)"
    )
    rec_batch_num: int = Field(
        default=1, description="PP-OCR text lines recognised per model call (1: no padding to the widest line)"
    )
    rec_margin: float = Field(
        default=0.15,
        ge=0.0,
        le=1.0,
        description="PP-OCR: blank margin added above and below each line, as a share of its height, before "
        "recognition: smaller characters in the model's 48-px input, a narrower input, less time",
    )
    fallback_engine: Literal["tesseract", "none"] = Field(
        default="tesseract",
        description="second engine for a page with ink on which PP-OCR found no text by any of its ways",
    )
    runtime: Literal["auto", "openvino", "onnxruntime"] = Field(
        default="auto", description="PP-OCR model runtime; auto = OpenVINO where installed (faster on CPUs), else ONNX Runtime"
    )
    model_cache_dir: Path | None = Field(
        default_factory=default_model_cache_dir,
        description="OpenVINO compiled-model cache, so a second process does not compile the models again "
        "(~1-2 s on 2 cores); None turns it off",
    )
    bf16: bool = Field(
        default=True, description="OpenVINO: run PP-OCR in bfloat16 where the CPU has it (AMX / AVX-512 BF16)"
    )
    rec_precision: Literal["auto", "int8", "f32"] = Field(
        default="auto",
        description="PP-OCR recognition model on OpenVINO: int8 = the quantised model edossier ships (ocr/models/; "
        "~1.4x cheaper than f32 on AVX2, ~2x with VNNI or AMX; lines it reads with under 0.9 confidence are read "
        "again in f32); f32 = rapidocr's own; auto = int8 unless f32 runs in bfloat16 (see bf16), which is faster "
        "still; ONNX Runtime always runs f32",
    )
    rec_tiny_first: bool = Field(
        default=True,
        description="PP-OCR: PP-OCRv6 tiny reads each line first (several times cheaper); lines it reads with under "
        "0.97 mean confidence are read again by the small recogniser (rec_precision), whose reading is kept",
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
    passphrase: SecretStr | None = Field(default=None, description="of the PKCS#12 key (EDOSSIER_SIGNING__PASSPHRASE)")
    trust_roots: tuple[Path, ...] = ()
    timestamp_url: str | None = None
    embed_validation_info: bool = Field(
        default=False,
        description="PAdES B-LT: sign the chain and the CA's OCSP/CRL answers into the file (needs timestamp_url "
        "and trust_roots; the responders must be reachable when signing)",
    )
    reason: str = "电子卷宗装订 (e-dossier binding)"


class ArchiveSettings(Section):
    """Electronic archiving (电子归档, docs/archive.md): archive timestamps and the handover's archival metadata."""

    timestamp_url: str | None = Field(
        default=None, description="TSA for archive timestamps; None = signing.timestamp_url"
    )
    renew_margin_days: int = Field(
        default=180, ge=1, description="archive renew stamps again when the newest timestamp certificate expires sooner"
    )
    fonds: str = Field(default="", description="全宗号 of the court's archive")
    retention: str = Field(default="永久", description="保管期限: 永久, 定期30年, 定期10年")
    classification: str = Field(
        default="内部", description="密级 of a handed-over dossier (classified material is refused)"
    )
    access: str = Field(
        default="本院审判、档案人员依职权查阅；当事人及其诉讼代理人依法申请查阅",
        description="access rules recorded with the package (四性检测: security)",
    )


class SealSettings(Section):
    """Electronic seals on OFD originals (GB/T 38540), as judged at intake (docs/intake.md)."""

    trust_anchors: DirectoryPath | None = Field(
        default=None,
        description="folder of the CA certificates (PEM or DER; 国密 SM2 roots, and intermediates the court trusts) "
        "that seal signers', seal makers' and timestamp authorities' certificates must chain to; "
        "None = no chain is judged (证书链未核验)",
    )
    crls: tuple[FilePath, ...] = Field(
        default=(),
        description="CRL files (PEM or DER, as the CAs publish them; fetched by the court, nothing is downloaded "
        "here) that the seal signers', seal makers' and timestamp authorities' certificates are looked up in, each "
        "CRL believed only when signed by its issuer among trust_anchors (so it needs them); "
        "empty = revocation is not checked (证书吊销状态未核查)",
    )

    @model_validator(mode="after")
    def _crls_need_anchors(self) -> SealSettings:
        """A CRL is only believed when its signature verifies by a trusted issuer: without anchors, none is."""
        if self.crls and self.trust_anchors is None:
            raise ValueError("crls need trust_anchors: a CRL is believed only when its issuer is a trust anchor")
        return self


class LimitsSettings(Section):
    max_file_bytes: int = 2 * 1024**3
    max_pages: int = 20_000
    max_pixels_per_page: int = 150_000_000
    raster_dpi: int = 300
    max_unpacked_bytes: int = 1024**3
    """what an OFD package may unpack to in all (zip bombs are refused from their declared and actual sizes)"""
    convert_timeout_s: float = 120.0
    """how long LibreOffice may take to convert one Word/WPS/RTF/ODT file"""


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
    upload_types: tuple[str, ...] = (
        "application/pdf", "image/png", "image/jpeg", "image/tiff", "image/heic", "application/ofd",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/msword",
        "application/rtf", "application/vnd.oasis.opendocument.text",
    )
    min_password_length: int = 10
    sign_in_failures_per_account: int = Field(default=5, ge=1, description="failed sign-ins that lock an account name")
    sign_in_failures_per_client: int = Field(default=20, ge=1, description="failed sign-ins that lock a client address")
    sign_in_lockout_s: int = Field(default=15 * 60, ge=1, description="how long failures count, and so how long a lock lasts")
    trusted_origins: tuple[str, ...] = Field(
        default=(), description="origins besides the server's own that may post (a proxy that rewrites Host)"
    )
    forwarded_allow_ips: str = Field(
        default="127.0.0.1", description="proxies whose X-Forwarded-For/-Proto are believed (comma-separated, or *)"
    )
    root_path: str = Field(default="", description="the sub-path a reverse proxy serves the reader under, e.g. /edossier")
    tls_certificate: Path | None = Field(default=None, description="PEM certificate (chain) to serve HTTPS directly")
    tls_key: Path | None = Field(default=None, description="PEM private key of tls_certificate")
    # Online submissions: what one submission may be, what one user and one case may have waiting.
    # "Waiting" is every submission not yet finished: queued, being checked or processed, or held for review.
    submission_max_pages: int = Field(default=5000, ge=1, description="pages in one submission; more is refused (413)")
    review_pages: int = Field(default=500, ge=1, description="a submission with more pages is held for a clerk's review")
    review_blank_ratio: float = Field(
        default=0.5, gt=0, le=1, description="a submission with at least this share of blank pages is held for review"
    )
    small_submission_pages: int = Field(
        default=20, ge=1, description="submissions up to this many pages have their own lane, never behind a big one"
    )
    user_waiting_jobs: int = Field(default=5, ge=1, description="submissions one user may have waiting (429)")
    user_waiting_pages: int = Field(default=10_000, ge=1, description="pages one user may have waiting (429)")
    user_waiting_bytes: int = Field(default=1024**3, ge=1, description="bytes one user may have waiting (429)")
    case_waiting_jobs: int = Field(default=10, ge=1, description="submissions one case may have waiting (429)")
    case_waiting_pages: int = Field(default=20_000, ge=1, description="pages one case may have waiting (429)")
    case_waiting_bytes: int = Field(default=2 * 1024**3, ge=1, description="bytes one case may have waiting (429)")
    case_hold_lease_s: float = Field(
        default=60, gt=0,
        description="a case held for a publication outside the submission queue (a correction, edossier process at a "
        "terminal…) is let go this long after its holder last renewed the hold (every quarter of it): a holder killed "
        "on another machine or in another container blocks the case no longer",
    )
    catalogue_review_below: float = Field(
        default=0.8, ge=0, le=1,
        description="a document cataloguing was less sure than this that it starts where it does is marked 待复核 "
        "for a clerk (the reader, edossier catalogue)",
    )


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
    archive: ArchiveSettings = ArchiveSettings()
    limits: LimitsSettings = LimitsSettings()
    seals: SealSettings = SealSettings()
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


def _is_secret(annotation: Any) -> bool:
    return annotation is SecretStr or SecretStr in get_args(annotation)


def secret_fields(model: type[BaseModel] = Settings) -> list[tuple[str, ...]]:
    """Paths of every SecretStr field (``("signing", "passphrase")``…), found by type so a new secret is one too."""
    found: list[tuple[str, ...]] = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if _is_secret(annotation):
            found.append((name,))
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            found.extend((name, *path) for path in secret_fields(annotation))
    return found


MACHINE_FIELDS: tuple[tuple[str, ...], ...] = (
    ("data_dir",),
    ("storage", "access_key"),
    ("signing", "pkcs12"),
    ("signing", "trust_roots"),
    ("seals", "trust_anchors"),
    ("seals", "crls"),
)
"""Each machine's own, like the secrets: its data folder, and which credentials and keys it holds where."""


def shareable_settings(settings: Settings) -> dict[str, Any]:
    """The settings another machine may be told (a batch records them): no secret, nothing machine-local.

    Secrets and credentials stay on each machine, read from its own environment or
    config file (see ``with_shared``); what is recorded here is safe to keep in a
    database that many machines read.
    """
    exclude: dict[str, Any] = {}
    for path in (*MACHINE_FIELDS, *secret_fields()):
        node = exclude
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = True
    return settings.model_dump(mode="json", exclude=exclude) | {"store": settings.store_uri}


def with_shared(own: Settings, shared: dict[str, Any]) -> Settings:
    """OWN (this machine's settings: its secrets, its data folder) with SHARED's values taking their place.

    Secrets and machine-local fields are never in SHARED, so they stay this machine's.
    """
    merged = _deep_merge(own.model_dump(), shared)
    try:
        return Settings(**merged)
    except ValidationError as exc:
        raise ConfigurationError(f"invalid shared settings: {exc.errors()[0]['msg']}") from None


def _deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        out[key] = _deep_merge(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
    return out
