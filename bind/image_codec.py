"""How a kept page image is compressed in the dossier.

Colour pages (a red seal must stay red) are JPEG.  Pages that are text on paper
(almost every pixel near black or near white) become bilevel CCITT G4, which is
lossless for the thresholded page and a tenth of a greyscale JPEG's size at
300 dpi.  Greyscale pages with real midtones (photos, stamps in grey) stay
greyscale JPEG so nothing is posterised.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import cv2
from PIL import Image, ImageChops, ImageStat, TiffImagePlugin

from edossier import recent_images
from edossier.config import BindSettings

SATURATED = 60
"""HSV saturation (0-255) above which a thumbnail pixel counts as coloured."""


@dataclass(frozen=True)
class EncodedImage:
    kind: Literal["jpeg", "g4"]
    data: bytes
    width: int
    height: int
    black_is_1: bool = False
    grey: bool = False


@dataclass(frozen=True)
class CodecSettings:
    jpeg_quality: int = 75
    bilevel_text: bool = True
    midtone_limit: float = 0.06
    """Largest share of midtone (64..191) pixels for a grey page to count as text on paper."""
    colour_share: float = 0.002
    """Share of coloured pixels above which a page is kept in colour."""
    threshold: int = 128


def codec_settings(bind: BindSettings) -> CodecSettings:
    """The codec settings binding uses: the per-page step must encode with exactly these to be reused."""
    return CodecSettings(bind.jpeg_quality, bind.bilevel_text)


def read_cached(key: str, settings: CodecSettings, cache: Path) -> EncodedImage | None:
    """The page encoded before with these settings, or None."""
    if not _present(key, settings, cache):
        return None
    head, body = _entry(key, settings, cache)
    return EncodedImage(data=body.read_bytes(), **json.loads(head.read_text()))


def encode_into_cache(path: Path, key: str, settings: CodecSettings, cache: Path) -> None:
    """Encode PATH into CACHE unless it is there: the per-page step, so that binding only reads."""
    if not _present(key, settings, cache):
        write_cached(encode_page_image(path, settings), key, settings, cache)


def encode_cached(path: Path, key: str, settings: CodecSettings, cache: Path | None) -> EncodedImage:
    """Encode once per page content and settings: a rerun, or a later version, reads the result back."""
    if cache is None:
        return encode_page_image(path, settings)
    found = read_cached(key, settings, cache)
    if found is not None:
        return found
    encoded = encode_page_image(path, settings)
    write_cached(encoded, key, settings, cache)
    return encoded


def _entry(key: str, settings: CodecSettings, cache: Path) -> tuple[Path, Path]:
    name = hashlib.sha256(f"{key}:{settings}".encode()).hexdigest()
    return cache / f"{name}.json", cache / f"{name}.bin"


def _present(key: str, settings: CodecSettings, cache: Path) -> bool:
    return all(path.exists() for path in _entry(key, settings, cache))


def write_cached(encoded: EncodedImage, key: str, settings: CodecSettings, cache: Path) -> None:
    """Body first, header last (each renamed into place): a header means the entry is whole."""
    head, body = _entry(key, settings, cache)
    cache.mkdir(parents=True, exist_ok=True)
    for target, data in ((body, encoded.data), (head, json.dumps(_header(encoded)).encode())):
        tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}")
        tmp.write_bytes(data)
        tmp.replace(target)


def _header(encoded: EncodedImage) -> dict[str, object]:
    return {k: v for k, v in dataclasses.asdict(encoded).items() if k != "data"}


def encode_page_image(path: Path, settings: CodecSettings) -> EncodedImage:
    """PATH's pixels encoded as the dossier embeds them; those cleanup just wrote are taken undecoded."""
    image: Image.Image
    with _page_image(path) as image:
        if image.mode == "1":
            return _g4(image)
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        if image.mode == "RGB" and _is_colour(image, settings.colour_share):
            return _jpeg(image, settings.jpeg_quality)
        grey = image.convert("L")
        if settings.bilevel_text and _midtone_share(grey) <= settings.midtone_limit:
            table = [0 if v < settings.threshold else 255 for v in range(256)]
            return _g4(grey.point(table, mode="1"))
        return _jpeg(grey, settings.jpeg_quality)


def _page_image(path: Path) -> Image.Image:
    """PATH as a loaded image: the pixels the cleanup of this process left for it (``recent_images``: an A4
    page's PNG decodes in 40-85 ms), else the file decoded."""
    pixels = recent_images.take(path)
    if pixels is None:
        with Image.open(path) as image:
            image.load()
            return image
    return Image.fromarray(pixels if pixels.ndim == 2 else cv2.cvtColor(pixels, cv2.COLOR_BGR2RGB))


def _is_colour(image: Image.Image, share: float) -> bool:
    """Saturated, not-too-dark pixels in an 1/8 thumbnail: a seal or a photo, not grey paper."""
    _, saturation, value = image.reduce(8).convert("HSV").split()
    saturated = saturation.point(lambda s: 255 if s > SATURATED else 0)
    lit = value.point(lambda v: 255 if v > 80 else 0)
    return ImageStat.Stat(ImageChops.multiply(saturated, lit)).mean[0] / 255 > share


def _midtone_share(grey: Image.Image) -> float:
    histogram = grey.reduce(2).histogram()
    total = sum(histogram) or 1
    return sum(histogram[64:192]) / total


def _jpeg(image: Image.Image, quality: int) -> EncodedImage:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality, optimize=True)
    return EncodedImage("jpeg", buffer.getvalue(), image.width, image.height, grey=image.mode == "L")


def _g4(bilevel: Image.Image) -> EncodedImage:
    """One-strip G4 TIFF, from which the raw fax stream is cut for the PDF image."""
    buffer = io.BytesIO()
    bilevel.save(buffer, format="TIFF", compression="group4", tiffinfo={278: bilevel.height})
    raw = buffer.getvalue()
    with Image.open(io.BytesIO(raw)) as tiff:
        assert isinstance(tiff, TiffImagePlugin.TiffImageFile)  # written as a TIFF just above
        offsets, counts = tiff.tag_v2[273], tiff.tag_v2[279]
        photometric = tiff.tag_v2.get(262, 0)
    if len(offsets) != 1:
        raise ValueError("G4 encoder wrote more than one strip")
    data = raw[offsets[0] : offsets[0] + counts[0]]
    return EncodedImage("g4", data, bilevel.width, bilevel.height, black_is_1=photometric == 1)
