"""The one place intake limits are enforced (file size, pages, pixels per page).

Uploads come from anyone: a 10,000-page PDF or an image that declares 35000×35000
pixels must be refused from its header, before anything is decoded or stored.
"""

from __future__ import annotations

from pathlib import Path

from edossier.config import LimitsSettings
from edossier.errors import LimitExceededError


def check_file_size(path: Path, size: int, limits: LimitsSettings) -> None:
    if size > limits.max_file_bytes:
        raise LimitExceededError(path, f"is {size} bytes, over the limit of {limits.max_file_bytes}")


def check_page_count(path: Path, count: int, limits: LimitsSettings) -> None:
    if count > limits.max_pages:
        raise LimitExceededError(path, f"has {count} pages, over the limit of {limits.max_pages}")


def check_pixels(path: Path, page_number: int, width: float, height: float, limits: LimitsSettings) -> None:
    pixels = width * height
    if pixels > limits.max_pixels_per_page:
        raise LimitExceededError(
            path,
            f"page {page_number} is {width:.0f}x{height:.0f} pixels, over the limit of "
            f"{limits.max_pixels_per_page}",
        )
