"""OFD (GB/T 33190) pages drawn into a PDF with their own text, at their own positions.

No PyPI library renders OFD faithfully here: easyofd (the maintained one,
Apache-2.0) took 33 s for a one-page invoice, failed on three of the ofdrw
samples (a font named 宋体 it cannot find; a package without PublicRes) and, on
any error, silently draws a page saying "ofd 格式错误" instead of failing. So the
page description is read here (lxml) and drawn with PyMuPDF: paths, images and
text objects with their CTMs, templates (Tpls) behind or in front of the page,
annotations (watermarks, stamps) and the appearance of electronic seals. Text
is written as real text at the positions the OFD gives each character, so the
converted PDF carries the OFD's own text as its text layer and OCR is skipped.
Fonts embedded in the OFD are used where they hold the glyph; otherwise a CJK
font that does (Droid Sans Fallback, built into MuPDF).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

import pymupdf
from lxml import etree
from PIL import Image

from edossier.config import LimitsSettings
from edossier.errors import InputFileError
from edossier.ingest.limits import check_page_count
from edossier.ingest.ofd_package import OfdPackage, child, children, descendants, local, text_of

PT_PER_MM = 72 / 25.4
_LATIN = {"courier": "cour", "times": "tiro", "arial": "helv", "helvetica": "helv"}
_IDENTITY = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
Matrix6 = tuple[float, float, float, float, float, float]


@dataclass
class _Resources:
    fonts: dict[str, tuple[str, str]] = field(default_factory=dict)
    """font ID → (font name, part holding the embedded font file or "")."""
    media: dict[str, str] = field(default_factory=dict)
    """multimedia ID → part name."""
    draw_params: dict[str, etree._Element] = field(default_factory=dict)


@dataclass(frozen=True)
class OfdPage:
    """One page: its size (mm), the parts drawn on it in order, and its own text."""

    id: str
    width_mm: float
    height_mm: float
    layers: tuple[etree._Element, ...]
    """Content and annotation Appearance elements, back to front: templates, page, annotations."""


def _numbers(value: str | None) -> list[float]:
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:[eE]-?\d+)?", value or "")]


def _deltas(value: str | None, count: int) -> list[float]:
    """DeltaX/DeltaY with the ``g N value`` shorthand expanded; missing entries repeat the last."""
    tokens = (value or "").split()
    out: list[float] = []
    i = 0
    while i < len(tokens):
        if tokens[i] == "g" and i + 2 < len(tokens):
            out.extend([float(tokens[i + 2])] * int(float(tokens[i + 1])))
            i += 3
        else:
            out.append(float(tokens[i]))
            i += 1
    while len(out) < count:
        out.append(out[-1] if out else 0.0)
    return out[:count]


def parse_box(value: str | None) -> tuple[float, float, float, float]:
    nums = _numbers(value)
    return (nums[0], nums[1], nums[2], nums[3]) if len(nums) >= 4 else (0.0, 0.0, 0.0, 0.0)


def _ctm(element: etree._Element) -> Matrix6:
    nums = _numbers(element.get("CTM"))
    return (nums[0], nums[1], nums[2], nums[3], nums[4], nums[5]) if len(nums) == 6 else _IDENTITY


def _apply(m: Matrix6, x: float, y: float) -> tuple[float, float]:
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


class OfdDocument:
    """The first document of an OFD package: its pages, resources, and each page's text."""

    def __init__(self, package: OfdPackage) -> None:
        self.package = package
        root = package.xml("OFD.xml")
        body = child(root, "DocBody")
        doc_root = text_of(child(body, "DocRoot")) if body is not None else ""
        if not doc_root:
            raise InputFileError(package.path, "is not an OFD: OFD.xml names no document (DocRoot)")
        self.ofd_xml = root
        self.doc_part = OfdPackage.resolve("OFD.xml", doc_root)
        self.document = package.xml(self.doc_part)
        self.signatures_part = ""
        signatures = text_of(child(body, "Signatures")) if body is not None else ""
        if signatures:
            self.signatures_part = OfdPackage.resolve("OFD.xml", signatures)
        self.resources = _Resources()
        common = child(self.document, "CommonData")
        self.default_box = (0.0, 0.0, 210.0, 297.0)
        self.templates: dict[str, str] = {}
        if common is not None:
            area = child(common, "PageArea")
            if area is not None and child(area, "PhysicalBox") is not None:
                self.default_box = parse_box(text_of(child(area, "PhysicalBox")))
            for kind in ("PublicRes", "DocumentRes"):
                for res in children(common, kind):
                    self._load_res(OfdPackage.resolve(self.doc_part, text_of(res)))
            for tpl in children(common, "TemplatePage"):
                self.templates[tpl.get("ID", "")] = OfdPackage.resolve(self.doc_part, tpl.get("BaseLoc", ""))
        pages = child(self.document, "Pages")
        self.page_refs = [
            (p.get("ID", ""), OfdPackage.resolve(self.doc_part, p.get("BaseLoc", "")))
            for p in (children(pages, "Page") if pages is not None else [])
        ]
        if not self.page_refs:
            raise InputFileError(package.path, "is an OFD without pages")
        self.annotations = self._annotation_parts(common)

    def _load_res(self, part: str) -> None:
        if not self.package.has(part):
            return  # real producers name resource parts they never wrote (ofdrw's Page5.ofd): nothing to load
        res = self.package.xml(part)
        base = OfdPackage.resolve(part, res.get("BaseLoc", "")) + "/" if res.get("BaseLoc") else part
        for font in descendants(res, "Font"):
            file = text_of(child(font, "FontFile"))
            self.resources.fonts[font.get("ID", "")] = (
                font.get("FontName", "") + " " + font.get("FamilyName", ""),
                OfdPackage.resolve(base, file) if file else "",
            )
        for media in descendants(res, "MultiMedia"):
            file = text_of(child(media, "MediaFile"))
            if file:
                self.resources.media[media.get("ID", "")] = OfdPackage.resolve(base, file)
        for param in descendants(res, "DrawParam"):
            self.resources.draw_params[param.get("ID", "")] = param

    def _annotation_parts(self, common: etree._Element | None) -> dict[str, list[str]]:
        """Page ID → annotation parts (watermarks, stamps drawn as annotations)."""
        ref = child(self.document, "Annotations")
        if ref is None or not text_of(ref):
            return {}
        part = OfdPackage.resolve(self.doc_part, text_of(ref))
        if not self.package.has(part):
            return {}
        index = self.package.xml(part)
        out: dict[str, list[str]] = {}
        for page in children(index, "Page"):
            loc = text_of(child(page, "FileLoc"))
            if loc:
                out.setdefault(page.get("PageID", ""), []).append(OfdPackage.resolve(part, loc))
        return out

    def page(self, index: int) -> OfdPage:
        page_id, part = self.page_refs[index]
        xml = self.package.xml(part)
        area = child(xml, "Area")
        box = parse_box(text_of(child(area, "PhysicalBox"))) if area is not None else self.default_box
        back: list[etree._Element] = []
        front: list[etree._Element] = []
        for tpl in children(xml, "Template"):
            tpl_part = self.templates.get(tpl.get("TemplateID", ""))
            if tpl_part is None:
                raise InputFileError(self.package.path, f"is a damaged OFD: page {index + 1} names a missing template")
            content = child(self.package.xml(tpl_part), "Content")
            if content is not None:
                (front if tpl.get("ZOrder") == "Foreground" else back).append(content)
        own = child(xml, "Content")
        layers = [*back, *([own] if own is not None else []), *front]
        for annot_part in self.annotations.get(page_id, []):
            for annot in descendants(self.package.xml(annot_part), "Appearance"):
                layers.append(annot)
        return OfdPage(page_id, box[2] or self.default_box[2], box[3] or self.default_box[3], tuple(layers))


def page_text(page: OfdPage) -> str:
    """The page's own text: its TextCodes (templates included), one text object per line."""
    lines = []
    for layer in page.layers:
        for obj in descendants(layer, "TextObject"):
            text = "".join("".join(code.itertext()) for code in children(obj, "TextCode"))
            if text.strip():
                lines.append(text.strip())
    return "\n".join(lines)


class _Painter:
    """Draws OFD graphic objects on one PyMuPDF page (coordinates in mm, y down, like PDF in MuPDF)."""

    def __init__(self, doc: OfdDocument, page: pymupdf.Page) -> None:
        self.doc = doc
        self.page = page
        self.fonts: dict[str, pymupdf.Font | None] = {}
        self.fallback = pymupdf.Font("cjk")
        self.shape: pymupdf.Shape | None = None
        """paths drawn since the last text or image, committed together (a commit per path is quadratic)."""

    def flush(self) -> None:
        """Commit pending paths, so that what is drawn next lies over them."""
        if self.shape is not None:
            self.shape.commit()
            self.shape = None

    def layer(self, element: etree._Element, origin: tuple[float, float] = (0.0, 0.0)) -> None:
        if local(element) == "Appearance":
            x, y, _, _ = parse_box(element.get("Boundary"))
            origin = (origin[0] + x, origin[1] + y)
        params = self._params(element.get("DrawParam"))
        for obj in element:
            name = local(obj)
            if name == "Layer" or name == "PageBlock":
                self.layer(obj, origin)
            elif name == "TextObject":
                self._text(obj, origin, params)
            elif name == "PathObject":
                self._path(obj, origin, params)
            elif name == "ImageObject":
                self._image(obj, origin)

    def _params(self, ref: str | None) -> dict[str, Any]:
        """A DrawParam with what it inherits (Relative) flattened: line width, fill and stroke colour."""
        out: dict[str, Any] = {}
        seen: set[str] = set()
        while ref and ref not in seen and ref in self.doc.resources.draw_params:
            seen.add(ref)
            param = self.doc.resources.draw_params[ref]
            out.setdefault("LineWidth", param.get("LineWidth"))
            for colour in ("FillColor", "StrokeColor"):
                if child(param, colour) is not None:
                    out.setdefault(colour, _colour(child(param, colour)))
            ref = param.get("Relative")
        return {k: v for k, v in out.items() if v is not None}

    def _place(self, obj: etree._Element, origin: tuple[float, float]) -> Matrix6:
        """Object space → page points: CTM, then the boundary's offset, then mm → pt."""
        a, b, c, d, e, f = _ctm(obj)
        x, y, _, _ = parse_box(obj.get("Boundary"))
        s = PT_PER_MM
        return (a * s, b * s, c * s, d * s, (e + x + origin[0]) * s, (f + y + origin[1]) * s)

    def _font(self, font_id: str) -> pymupdf.Font | None:
        if font_id not in self.fonts:
            name, file = self.doc.resources.fonts.get(font_id, ("", ""))
            font = None
            if file and self.doc.package.has(file):
                try:
                    font = pymupdf.Font(fontbuffer=self.doc.package.read(file))
                except (RuntimeError, ValueError):
                    font = None  # a damaged or unsupported embedded font: draw with a font we have
            if font is None:
                latin = next((v for k, v in _LATIN.items() if k in name.lower()), None)
                font = pymupdf.Font(latin) if latin else None
            self.fonts[font_id] = font
        return self.fonts[font_id]

    def _text(self, obj: etree._Element, origin: tuple[float, float], params: dict[str, Any]) -> None:
        m = self._place(obj, origin)
        if abs(m[0] * m[3] - m[1] * m[2]) < 1e-9:
            return  # a degenerate CTM draws nothing (producers use it for invisible spaces)
        size = float(obj.get("Size", "3.5"))
        fill = obj.get("Fill", "true") != "false"
        colour = _colour(child(obj, "FillColor")) or params.get("FillColor") or (0.0, 0.0, 0.0)
        alpha = int(obj.get("Alpha", "255")) / 255
        font = self._font(obj.get("Font", ""))
        writer = pymupdf.TextWriter(self.page.rect, opacity=alpha, color=colour)
        x = y = 0.0
        wrote = False
        for code in children(obj, "TextCode"):
            text = "".join(code.itertext())
            x = float(code.get("X", x))
            y = float(code.get("Y", y))
            dx = _deltas(code.get("DeltaX"), max(len(text) - 1, 0))
            dy = _deltas(code.get("DeltaY"), max(len(text) - 1, 0))
            for i, ch in enumerate(text):
                if not ch.isspace():
                    use = font if font is not None and font.has_glyph(ord(ch)) else self.fallback
                    writer.append((x * PT_PER_MM, y * PT_PER_MM), ch, font=use, fontsize=size * PT_PER_MM)
                    wrote = True
                if i < len(dx):
                    x += dx[i]
                    y += dy[i]
        if wrote:
            self.flush()
            # Glyphs were placed in object space (pt); the matrix applies the object's CTM and offset. It acts
            # in PDF space (y up), so it is conjugated with the flip between that and MuPDF's (y down).
            place = pymupdf.Matrix(m[0] / PT_PER_MM, m[1] / PT_PER_MM, m[2] / PT_PER_MM, m[3] / PT_PER_MM, m[4], m[5])
            flip = pymupdf.Matrix(1, 0, 0, -1, 0, self.page.rect.height)
            # Unfilled text (the hidden text layer of a scanned OFD) stays text, invisible (render mode 3).
            writer.write_text(self.page, matrix=flip * place * flip, render_mode=0 if fill else 3)

    def _path(self, obj: etree._Element, origin: tuple[float, float], params: dict[str, Any]) -> None:
        m = self._place(obj, origin)
        if self.shape is None:
            self.shape = self.page.new_shape()
        shape = self.shape
        current = start = (0.0, 0.0)
        tokens = text_of(child(obj, "AbbreviatedData")).split()
        i = 0
        drew = False

        def pt(x: float, y: float) -> pymupdf.Point:
            return pymupdf.Point(*_apply(m, x, y))

        arity = {"M": 2, "S": 2, "L": 2, "Q": 4, "B": 6, "A": 7, "C": 0}
        while i < len(tokens):
            op = tokens[i]
            n = arity.get(op)
            if n is None:
                i += 1
                continue
            if i + n >= len(tokens):
                break
            args = [float(v) for v in tokens[i + 1 : i + 1 + n]]
            i += 1 + n
            if op in ("M", "S"):
                current = start = (args[0], args[1])
            elif op == "L":
                shape.draw_line(pt(*current), pt(args[0], args[1]))
                current = (args[0], args[1])
            elif op == "Q":
                c1 = (current[0] + 2 / 3 * (args[0] - current[0]), current[1] + 2 / 3 * (args[1] - current[1]))
                c2 = (args[2] + 2 / 3 * (args[0] - args[2]), args[3] + 2 / 3 * (args[1] - args[3]))
                shape.draw_bezier(pt(*current), pt(*c1), pt(*c2), pt(args[2], args[3]))
                current = (args[2], args[3])
            elif op == "B":
                shape.draw_bezier(pt(*current), pt(args[0], args[1]), pt(args[2], args[3]), pt(args[4], args[5]))
                current = (args[4], args[5])
            elif op == "A":  # elliptical arcs are drawn as their chord: rare outside seals, kept visible
                shape.draw_line(pt(*current), pt(args[5], args[6]))
                current = (args[5], args[6])
            elif op == "C":
                if current != start:
                    shape.draw_line(pt(*current), pt(*start))
                current = start
            drew = True
        if not drew:
            return
        stroke = obj.get("Stroke", "true") != "false"
        fill = obj.get("Fill", "false") == "true"
        width = float(obj.get("LineWidth") or params.get("LineWidth") or 0.353)
        scale = math.sqrt(abs(m[0] * m[3] - m[1] * m[2])) or PT_PER_MM
        shape.finish(
            color=(_colour(child(obj, "StrokeColor")) or params.get("StrokeColor") or (0.0, 0.0, 0.0))
            if stroke else None,
            fill=(_colour(child(obj, "FillColor")) or params.get("FillColor") or (0.0, 0.0, 0.0)) if fill else None,
            width=width * scale if stroke else 0,
            closePath=False,
            stroke_opacity=int(obj.get("Alpha", "255")) / 255,
            fill_opacity=int(obj.get("Alpha", "255")) / 255,
        )

    def _image(self, obj: etree._Element, origin: tuple[float, float]) -> None:
        part = self.doc.resources.media.get(obj.get("ResourceID", ""))
        if part is None:
            return
        m = self._place(obj, origin)
        corners = [_apply(m, x, y) for x, y in ((0, 0), (1, 0), (0, 1), (1, 1))]
        rect = pymupdf.Rect(
            min(p[0] for p in corners), min(p[1] for p in corners), max(p[0] for p in corners),
            max(p[1] for p in corners),
        )
        if rect.is_empty:
            return
        self.flush()
        self.page.insert_image(rect, stream=_image_stream(self.doc.package, part), keep_proportion=False)

    def stamp(self, image: bytes, boundary: tuple[float, float, float, float]) -> None:
        x, y, w, h = boundary
        rect = pymupdf.Rect(x, y, x + w, y + h) * PT_PER_MM
        self.flush()
        self.page.insert_image(rect, stream=image, keep_proportion=False, overlay=True)


def _image_stream(package: OfdPackage, part: str) -> bytes:
    """Image bytes PyMuPDF can embed; formats it cannot (e.g. JBIG2 or BMP in some OFDs) go through Pillow."""
    data = package.read(part)
    if data[:3] == b"\xff\xd8\xff" or data[:8] == b"\x89PNG\r\n\x1a\n":
        return data
    try:
        with Image.open(BytesIO(data)) as image:
            out = BytesIO()
            image.convert("RGBA" if "A" in image.getbands() else "RGB").save(out, format="PNG")
            return out.getvalue()
    except (OSError, ValueError) as exc:
        raise InputFileError(package.path, f"is a damaged OFD: its image {part} cannot be read ({exc})") from None


def _colour(element: etree._Element | None) -> tuple[float, ...] | None:
    if element is None or not element.get("Value"):
        return None
    raw = element.get("Value", "").split()
    values = [int(v[1:], 16) if v.startswith("#") else float(v) for v in raw]
    if len(values) == 1:
        return (values[0] / 255,) * 3
    if len(values) == 4:  # CMYK
        c, m, y, k = (v / 255 for v in values)
        return ((1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k))
    if len(values) >= 3:
        return tuple(max(0.0, min(1.0, v / 255)) for v in values[:3])
    return None


def render_pdf(
    doc: OfdDocument,
    target: Path,
    limits: LimitsSettings,
    stamps: dict[str, list[tuple[bytes, tuple[float, float, float, float]]]],
) -> list[str]:
    """Draw every page of DOC into the PDF TARGET; return each page's own text.

    STAMPS maps a page ID to the seal images (and their boundaries, mm) drawn over it.
    """
    check_page_count(doc.package.path, len(doc.page_refs), limits)
    pdf = pymupdf.open()
    texts = []
    for index in range(len(doc.page_refs)):
        page = doc.page(index)
        out = pdf.new_page(width=page.width_mm * PT_PER_MM, height=page.height_mm * PT_PER_MM)
        painter = _Painter(doc, out)
        for layer in page.layers:
            painter.layer(layer)
        for image, boundary in stamps.get(page.id, []):
            painter.stamp(image, boundary)
        painter.flush()
        texts.append(page_text(page))
    pdf.subset_fonts()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    pdf.save(partial, garbage=3, deflate=True)
    pdf.close()
    partial.replace(target)
    return texts
