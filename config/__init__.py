"""The one typed settings model; stages receive the slice they need."""

from edossier.config.settings import (
    BindSettings,
    ClassifySettings,
    CleanupSettings,
    LimitsSettings,
    OcrSettings,
    ScanSettings,
    SealSettings,
    Settings,
    SigningSettings,
    WebSettings,
    StorageSettings,
    load_settings,
    shareable_settings,
    with_shared,
)

__all__ = [
    "BindSettings",
    "ClassifySettings",
    "CleanupSettings",
    "LimitsSettings",
    "OcrSettings",
    "ScanSettings",
    "SealSettings",
    "Settings",
    "SigningSettings",
    "WebSettings",
    "StorageSettings",
    "load_settings",
    "shareable_settings",
    "with_shared",
]
