"""Page cleanup: an upright, straight kept image with its seals, and a clean image for OCR.

The geometry is decided on a ~100-dpi copy, reduced by a whole factor (ink.py, borders.py, perspective.py,
deskew.py, orientation.py); whether the page is blank is decided on the full-resolution recognition
image (blank.py), where small print is not lost to the reduction; the geometry found (page outline, quarter
turns, skew) is composed into one 3×3 matrix and applied once at full resolution,
so the kept colour image is resampled at most once and never otherwise touched.
The recognition image is that same geometry applied to a grey copy with red ink
lifted (only where the small copy shows red), then flattened, despeckled and its paper whitened (left grey
for the OCR engine to binarise).  Orientation already applied
while reading (EXIF, PDF /Rotate) is in the page's corrections and is not redone.
Results are named by content, and a record per input page and settings makes a
rerun free.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from edossier import recent_images
from edossier.config import CleanupSettings
from edossier.ingest.blank import is_blank, limits_for
from edossier.ingest.borders import content_box
from edossier.ingest.deskew import (
    LineAngle,
    LineBlobs,
    TextLine,
    find_line_angle,
    ink_points,
    line_direction,
    text_lines,
)
from edossier.ingest.ink import (
    RED_MARGIN,
    MM_PER_INCH,
    InkParts,
    count_ink,
    flatten,
    ink_mask,
    reduce,
    seal_mask,
    sort_ink,
    text_grey,
)
from edossier.ingest.orientation import line_pieces, upside_down_score
from edossier.ingest.perspective import page_quad
from edossier.ingest.png import png_bytes
from edossier.files import write_atomically
from edossier.types import Correction, Frozen, Page, sha256_bytes

CLEANUP_VERSION = "5"
"""Part of every cached record's name: bump it when the cleanup's output changes."""


@dataclass
class Cleaned:
    """What cleanup made of one page image."""

    kept: np.ndarray | None
    """the corrected colour image; None when nothing geometric was needed (the input is kept as is)."""
    recognition: np.ndarray
    recognition_dpi: float
    rotation: int = 0
    skew: float = 0.0
    blank: bool = False
    corrections: list[Correction] = field(default_factory=list)


@dataclass(frozen=True)
class _Outline:
    """Where the page is in the image: a 3×3 matrix onto an upright page of SIZE (full resolution)."""

    matrix: np.ndarray
    size: tuple[int, int]
    correction: Correction | None


def clean_image(image: np.ndarray, dpi: float, settings: CleanupSettings) -> Cleaned:
    """Clean one page image (BGR or grey, 8 bit) scanned at DPI."""
    height, width = image.shape[:2]
    factor = max(1, int(dpi / settings.analysis_dpi + 0.01))  # 299.9994 dpi (a PNG's pHYs in dots per metre) is 300
    scale = 1.0 / factor
    analysis_dpi = dpi * scale
    small = reduce(image, factor)
    small_seal = seal_mask(small)
    outline = _outline(text_grey(small, small_seal), scale, (width, height))
    to_small = np.diag([scale, scale, 1.0]) @ outline.matrix @ np.diag([1 / scale, 1 / scale, 1.0])
    small_size = (round(outline.size[0] * scale), round(outline.size[1] * scale))
    if outline.correction is not None:
        small = cv2.warpPerspective(small, to_small, small_size, flags=cv2.INTER_LINEAR, borderValue=(255, 255, 255))
        small_seal = seal_mask(small)
    flat = flatten(text_grey(small, small_seal), analysis_dpi)
    parts = sort_ink(ink_mask(flat, settings.ink_threshold), analysis_dpi, settings.speckle_max_mm2)
    px_mm2 = (analysis_dpi / MM_PER_INCH) ** 2
    seal_mm2 = 0.0 if small_seal is None else cv2.countNonZero(small_seal) / px_mm2

    corrections = [outline.correction] if outline.correction is not None else []
    angle = 0.0
    if parts.marks and parts.text is not None:
        points = ink_points(parts.text)
        hint = line_direction(parts.text)
        found = find_line_angle(points, settings.max_skew_degrees, hint=hint)
        sideways = found.angle > 45
        if sideways and not _lines_run_down(hint):
            found = LineAngle(angle=0.0, sharpness=0.0, confident=False)
            sideways = False
        axis = 90.0 if sideways else 0.0
        skew = found.angle - axis
        if not found.confident or abs(skew) < settings.min_skew_degrees:
            skew = 0.0
        angle = axis + skew
        lines = text_lines(points, angle, min_height=1.0 * analysis_dpi / MM_PER_INCH)
        if lines:
            frame = _page_frame(angle, outline.size)
            full_lines = [_scaled(line, 1 / scale) for line in lines]
            pieces = line_pieces(image, np.linalg.inv(outline.matrix) @ frame, full_lines)
            upside_down = upside_down_score([text_grey(p, seal_mask(p)) for p in pieces]) > UPSIDE_DOWN_MARGIN
            if upside_down and len(lines) >= MIN_LINES_TO_TURN:
                angle += 180.0
    quarter = round(angle / 90.0)
    rotation = (quarter * 90) % 360
    skew = angle - quarter * 90
    if rotation:
        corrections.append(Correction(kind="rotate", value=rotation))
    if skew:
        corrections.append(Correction(kind="deskew", value=round(skew, 3)))

    turn, size = _turned(angle, outline.size)
    kept = _apply(image, turn @ outline.matrix, size, outline.correction is not None, _paper(small))
    red = _red_region(small, turn @ np.diag([factor, factor, 1.0]), size, 2 * dpi / MM_PER_INCH)
    grey = _upright_grey(kept if kept is not None else image, red)
    recognition, recognition_dpi, steps, (ink, max_ink_mm2) = _recognition(grey, dpi, settings)
    blank = is_blank(ink, max_ink_mm2) and seal_mm2 < settings.blank_max_ink_mm2
    if blank and np.median(grey) < DARK_GROUND:
        blank = is_blank(_light_print(grey, dpi, settings), max_ink_mm2)
    return Cleaned(
        kept=kept,
        recognition=recognition,
        recognition_dpi=recognition_dpi,
        rotation=rotation,
        skew=round(skew, 3),
        blank=blank,
        corrections=corrections + steps,
    )


class CleanedImage(Frozen):
    """What cleaning one page image gave, whichever page it came from: the record cached by image, dpi and settings.

    Two pages can hold the same image (a double feed, two copies of one form): the
    record keeps nothing of the page it was first made for (its index, source,
    flags), so each page gets its own back with only the cleanup's results added.
    """

    sha256: str
    image: Path
    recognition_image: Path
    recognition_sha256: str
    width_px: int
    height_px: int
    corrections: tuple[Correction, ...]
    blank: bool


def clean_page(page: Page, settings: CleanupSettings, work_dir: Path) -> Page:
    """PAGE with its kept image corrected, a recognition image, corrections and flags.

    Born-digital pages pass through untouched.  Outputs go to WORK_DIR/pages named
    by their SHA-256; what cleaning the image gave is cached under WORK_DIR/cleanup.
    """
    if page.kind != "raster" or page.image is None or not settings.enabled:
        return page
    key = sha256_bytes(f"{CLEANUP_VERSION}:{page.sha256}:{page.dpi}:{settings.model_dump_json()}".encode())
    record = work_dir / "cleanup" / f"{key}.json"
    cleaned = _cached(record) or _cleaned_image(page.image, page.sha256, page.dpi, settings, work_dir, record)
    flags = list(page.flags)
    for flag, present in (("blank_page", cleaned.blank), ("low_resolution", page.dpi < settings.min_dpi)):
        if present and flag not in flags:
            flags.append(flag)
    return page.model_copy(
        update={
            "sha256": cleaned.sha256,
            "image": cleaned.image,
            "recognition_image": cleaned.recognition_image,
            "recognition_sha256": cleaned.recognition_sha256,
            "width_px": cleaned.width_px,
            "height_px": cleaned.height_px,
            "width_pt": cleaned.width_px * 72.0 / page.dpi,
            "height_pt": cleaned.height_px * 72.0 / page.dpi,
            "corrections": page.corrections + cleaned.corrections,
            "flags": tuple(flags),
        }
    )


def _cached(record: Path) -> CleanedImage | None:
    """The record at RECORD when the images it names are still there."""
    if not record.exists():
        return None
    cached = CleanedImage.model_validate_json(record.read_bytes())
    return cached if cached.image.exists() and cached.recognition_image.exists() else None


def _cleaned_image(
    source: Path, sha256: str, dpi: float, settings: CleanupSettings, work_dir: Path, record: Path
) -> CleanedImage:
    image = recent_images.take(source)
    if image is None:
        image = cv2.imread(str(source), cv2.IMREAD_ANYCOLOR)
    if image is None:
        raise ValueError(f"{source}: not a readable page image")
    cleaned = clean_image(image, dpi, settings)
    pages_dir = work_dir / "pages"
    pages_dir.mkdir(parents=True, exist_ok=True)
    kept_path, kept_sha = (source, sha256) if cleaned.kept is None else _write_png(cleaned.kept, pages_dir)
    recognition_path, recognition_sha = _write_png(cleaned.recognition, pages_dir)
    recent_images.leave(recognition_path, cleaned.recognition)  # for the OCR of this process
    recent_images.leave(kept_path, image if cleaned.kept is None else cleaned.kept)  # for binding's encoding
    height, width = (cleaned.kept if cleaned.kept is not None else image).shape[:2]
    result = CleanedImage(
        sha256=kept_sha, image=kept_path, recognition_image=recognition_path, recognition_sha256=recognition_sha,
        width_px=width, height_px=height, corrections=tuple(cleaned.corrections), blank=cleaned.blank,
    )
    record.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(record, result.model_dump_json().encode())
    return result


def _outline(grey: np.ndarray, scale: float, size: tuple[int, int]) -> _Outline:
    """The photographed page's quadrilateral, else the box inside black scanner edges, else everything."""
    quad = page_quad(grey)
    if quad is not None:
        corners = quad / scale
        width = max(np.linalg.norm(corners[1] - corners[0]), np.linalg.norm(corners[2] - corners[3]))
        height = max(np.linalg.norm(corners[3] - corners[0]), np.linalg.norm(corners[2] - corners[1]))
        out = (int(round(width)), int(round(height)))
        target = np.array([[0, 0], [out[0] - 1, 0], [out[0] - 1, out[1] - 1], [0, out[1] - 1]], dtype=np.float32)
        matrix = cv2.getPerspectiveTransform(corners.astype(np.float32), target).astype(np.float64)
        value = ";".join(f"{x:.0f},{y:.0f}" for x, y in corners)
        return _Outline(matrix, out, Correction(kind="perspective", value=value))
    x0, y0, x1, y1 = content_box(grey)
    small_h, small_w = grey.shape
    if (x0, y0, x1, y1) == (0, 0, small_w, small_h):
        return _Outline(np.eye(3), size, None)
    left, top = int(x0 / scale), int(y0 / scale)
    right = size[0] if x1 == small_w else int(x1 / scale)
    bottom = size[1] if y1 == small_h else int(y1 / scale)
    matrix = np.array([[1.0, 0, -left], [0, 1.0, -top], [0, 0, 1.0]])
    return _Outline(matrix, (right - left, bottom - top), Correction(kind="crop_border", value=f"{left},{top},{right},{bottom}"))


def _page_frame(angle: float, size: tuple[int, int]) -> np.ndarray:
    """3×3 from the upright page frame (about the centre) to the outlined image, for lines at ANGLE."""
    theta = math.radians(angle)
    cos, sin = math.cos(theta), math.sin(theta)
    cx, cy = (size[0] - 1) / 2, (size[1] - 1) / 2
    return np.array([[cos, sin, cx], [-sin, cos, cy], [0, 0, 1.0]])


def _turned(angle: float, size: tuple[int, int]) -> tuple[np.ndarray, tuple[int, int]]:
    """3×3 turning the outlined image so its lines are level, onto a canvas that holds all of it."""
    theta = math.radians(angle)
    cos, sin = math.cos(theta), math.sin(theta)
    undo = np.array([[cos, -sin], [sin, cos]])
    cx, cy = (size[0] - 1) / 2, (size[1] - 1) / 2
    corners = np.array([[0, 0], [size[0] - 1, 0], [0, size[1] - 1], [size[0] - 1, size[1] - 1]]) - (cx, cy)
    turned = corners @ undo.T
    width = int(round(turned[:, 0].max() - turned[:, 0].min())) + 1
    height = int(round(turned[:, 1].max() - turned[:, 1].min())) + 1
    out_centre = np.array([(width - 1) / 2, (height - 1) / 2])
    matrix = np.eye(3)
    matrix[:2, :2] = undo
    matrix[:2, 2] = out_centre - undo @ (cx, cy)
    return matrix, (width, height)


def _apply(
    image: np.ndarray, matrix: np.ndarray, size: tuple[int, int], perspective: bool, paper: tuple[float, ...]
) -> np.ndarray | None:
    """IMAGE under MATRIX, or None when that is the identity; quarter turns and crops are exact copies."""
    height, width = image.shape[:2]
    if np.allclose(matrix, np.eye(3), atol=1e-9) and size == (width, height):
        return None
    linear = matrix[:2, :2]
    if not perspective and np.allclose(linear, np.round(linear), atol=1e-12):
        quarter: dict[tuple[int, ...], int | None] = {
            (1, 0, 0, 1): None,
            (0, -1, 1, 0): cv2.ROTATE_90_CLOCKWISE,
            (-1, 0, 0, -1): cv2.ROTATE_180,
            (0, 1, -1, 0): cv2.ROTATE_90_COUNTERCLOCKWISE,
        }
        code = quarter.get(tuple(int(v) for v in np.round(linear).ravel()))
        inverse = np.linalg.inv(matrix)
        x0, y0 = (inverse @ (0, 0, 1))[:2]
        x1, y1 = (inverse @ (size[0] - 1, size[1] - 1, 1))[:2]
        left, right = int(round(min(x0, x1))), int(round(max(x0, x1))) + 1
        top, bottom = int(round(min(y0, y1))), int(round(max(y0, y1))) + 1
        region = image[top:bottom, left:right]
        return np.ascontiguousarray(region) if code is None else cv2.rotate(region, code)
    border = paper[0] if image.ndim == 2 else paper
    if perspective:
        return cv2.warpPerspective(image, matrix, size, flags=cv2.INTER_LINEAR, borderValue=border)
    return cv2.warpAffine(image, matrix[:2], size, flags=cv2.INTER_LINEAR, borderValue=border)


def _paper(small: np.ndarray) -> tuple[float, ...]:
    """The paper's colour (the bright end of the page), to fill corners a turn uncovers."""
    values = small.reshape(-1, 1 if small.ndim == 2 else small.shape[2])
    colour = np.percentile(values[:: max(1, len(values) // 20000)], 90, axis=0)
    return tuple(float(c) for c in colour) if small.ndim == 3 else (float(colour[0]),) * 3


def _red_region(
    small: np.ndarray, to_upright: np.ndarray, size: tuple[int, int], margin: float
) -> tuple[slice, slice] | None:
    """Where red ink can be in the upright full-resolution image: the box of SMALL's reddish pixels, mapped.

    SMALL is the analysis copy of the outlined page, TO_UPRIGHT the 3×3 from its
    pixels to the upright image of SIZE.  Red is looked for with half the margin
    because reducing the page thins the red of fine strokes; None when there is none,
    which spares the three-channel work on most pages.
    """
    mask = seal_mask(small, RED_MARGIN // 2)
    if mask is None or not cv2.countNonZero(mask):
        return None
    x, y, w, h = cv2.boundingRect(mask)
    corners = np.array([[x, y, 1], [x + w, y, 1], [x, y + h, 1], [x + w, y + h, 1]], dtype=np.float64) @ to_upright.T
    corners = corners[:, :2] / corners[:, 2:]
    x0, y0 = np.maximum(0, np.floor(corners.min(axis=0) - margin)).astype(int)
    x1, y1 = np.minimum(size, np.ceil(corners.max(axis=0) + margin)).astype(int)
    return slice(y0, y1), slice(x0, x1)


def _upright_grey(upright: np.ndarray, red: tuple[slice, slice] | None) -> np.ndarray:
    """text_grey of the upright page, the seal lifted only inside RED (from _red_region)."""
    if upright.ndim == 2:
        return upright
    grey = cv2.cvtColor(upright, cv2.COLOR_BGR2GRAY)
    if red is not None:
        part = upright[red]
        grey[red] = text_grey(part, seal_mask(part))
    return grey


def _recognition(
    grey: np.ndarray, dpi: float, settings: CleanupSettings
) -> tuple[np.ndarray, float, list[Correction], tuple[InkParts, float]]:
    """Flatten, upscale a low-resolution page, drop specks and whiten the paper: what OCR reads.

    The page's content ink is counted here too, on this full-resolution image at
    its real resolution (with the blank test's sizes scaled to a small image,
    ``blank.limits_for``), returned with the blank ink limit: the blank test once ran on the ~100-dpi analysis copy,
    where the strokes of small or tightly cropped words fell under the speck size
    and pages with visible text were called blank (and never read).

    The result stays grey: a hard threshold here would cut the light, thin strokes
    (the dots of 氵) that the OCR engine's own binarisation keeps.  Only what is
    nearly paper becomes white, which the engine would do anyway and which makes
    the image several times smaller and quicker to encode.
    """
    steps = [Correction(kind="recognition_flatten")]
    flat = flatten(grey, dpi)
    factor = min(settings.recognition_dpi / dpi, math.sqrt(MAX_RECOGNITION_PIXELS / flat.size))
    if dpi < settings.min_dpi and factor > 1:
        flat = cv2.resize(flat, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
        dpi = dpi * factor
        steps.append(Correction(kind="recognition_upscale", value=round(dpi, 1)))
    mask = ink_mask(flat, settings.ink_threshold)
    labels, stats = _labels(mask)
    speck_mm2, max_ink_mm2 = limits_for(
        mask.size / (dpi / MM_PER_INCH) ** 2, settings.speckle_max_mm2, settings.blank_max_ink_mm2
    )
    content = count_ink(stats, mask.shape, dpi, speck_mm2)
    ink = np.flatnonzero(mask.view(bool))  # 0/1 bytes read as bool: numpy's fast path, ~8x quicker
    owner = labels.reshape(-1)[ink]
    speck = stats[:, cv2.CC_STAT_AREA] < settings.despeckle_max_mm2 * (dpi / MM_PER_INCH) ** 2
    speck[0] = False
    removed = int(speck.sum())
    if removed:
        flat.reshape(-1)[ink[speck[owner]]] = 255
        steps.append(Correction(kind="recognition_despeckle", value=removed))
    cv2.bitwise_or(flat, cv2.compare(flat, int(settings.recognition_paper * 255), cv2.CMP_GE), dst=flat)  # type: ignore[call-overload]  # a scalar: the stubs list arrays
    return flat, dpi, steps, (content, max_ink_mm2)


def _light_print(grey: np.ndarray, dpi: float, settings: CleanupSettings) -> InkParts:
    """Content ink of GREY's light print on its dark ground (a sign, a night photo), counted as dark ink on paper.

    On a dark ground the flattened "paper" is the print itself: the ground becomes
    one mark along the edges, the print nothing, and a crop reading 打浦路15号 was
    called blank.  The negative shows the print as ink.
    """
    negative = flatten(cv2.bitwise_not(grey), dpi)
    _, _, stats, _ = cv2.connectedComponentsWithStats(ink_mask(negative, settings.ink_threshold), connectivity=8)
    speck_mm2, _ = limits_for(grey.size / (dpi / MM_PER_INCH) ** 2, settings.speckle_max_mm2, settings.blank_max_ink_mm2)
    return count_ink(stats, grey.shape, dpi, speck_mm2)


def _labels(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Connected-component labels of MASK, 16 bit when they fit, and their statistics.

    A full page of 32-bit labels is a fresh 55 MB buffer each time, and filling its
    pages costs the kernel about as much as the labelling itself.
    """
    try:
        _, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8, ltype=cv2.CV_16U)
    except cv2.error:  # more than 65 534 marks
        _, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8, ltype=cv2.CV_32S)
    return labels, stats


DARK_GROUND = 100
"""A page whose median grey is below this is light print on a dark ground, if anything (see _light_print)."""
MAX_RECOGNITION_PIXELS = 36_000_000
"""A low-resolution page is upscaled for OCR to at most this (A4 at 600 dpi): a poster-size page
holding an ordinary scan is "low resolution" by its page size, not by its pixels."""
MIN_LINES_TO_TURN = 3
"""Elongated line blobs running down the page that a quarter turn needs as evidence."""
UPSIDE_DOWN_MARGIN = 0.2
"""How far the direction classifier's vote must lean to 180° before a page is turned over; and only a page
of at least MIN_LINES_TO_TURN lines is: on a one-line page (3small.pdf's 2 x 0.25 inch page) the
classifier's few pieces voted the upright line over."""


def _lines_run_down(hint: LineBlobs | None) -> bool:
    """Whether the text itself shows lines running down the image: several elongated line blobs at ~90°.

    The projection profile alone cannot tell: spaced Chinese characters stand in
    columns as clearly as in rows, so a sign or a single line photographed was
    turned sideways.  A quarter turn now needs lines that the blobs show.
    """
    return hint is not None and 45 <= hint.angle < 135 and hint.lines >= MIN_LINES_TO_TURN


def _scaled(line: TextLine, factor: float) -> TextLine:
    return TextLine(line.top * factor, line.bottom * factor, line.left * factor, line.right * factor, line.points)


def _write_png(image: np.ndarray, folder: Path) -> tuple[Path, str]:
    data = png_bytes(image)
    digest = sha256_bytes(data)
    target = folder / f"{digest}.png"
    if not target.exists():
        write_atomically(target, data)
    return target, digest


def applied_turn(page: Page) -> tuple[int, float]:
    """(clockwise quarter turn, skew removed in degrees counter-clockwise) recorded on PAGE by cleanup."""
    rotation, skew = 0, 0.0
    for correction in page.corrections:
        if correction.kind == "rotate" and correction.value is not None:
            rotation = int(float(correction.value))
        elif correction.kind == "deskew" and correction.value is not None:
            skew = float(correction.value)
    return rotation, skew
