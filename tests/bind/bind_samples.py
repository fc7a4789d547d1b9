"""Inputs for the binding tests: rendered court pages and born-digital PDFs.

Pages come from bench/pagegen.py (A4, 300 dpi, Noto CJK, optional red seal),
with the text they were drawn with as their OCR result, so the text layer can be
checked exactly without running an OCR engine here.
"""

from __future__ import annotations

from pathlib import Path

import pymupdf

from bench.pagegen import ground_truth_ocr, render_pages
from edossier.bind.devcert import DEV_PASSPHRASE
from edossier.bind.sign import SignatureSpec
from edossier.types import Classification, Document, Page, sha256_file

CASE = "（2020）浙0102民初1234号"
BODY = "原告张三诉被告李四民间借贷纠纷一案，本院于二〇二〇年三月二日立案后，依法适用简易程序，公开开庭进行了审理。"


def raster_document(folder: Path, name: str, title: str, label: str, seal: str | None = None,
                    volume: str = "main", repeat: int = 6) -> Document:
    pages, ocr = [], []
    for index, rendered in enumerate(render_pages(title, BODY * repeat, seal_text=seal, seed=len(name))):
        path = folder / f"{name}-{index}.png"
        rendered.image.save(path)
        sha = sha256_file(path)
        pages.append(Page(source_sha256=f"src-{name}", index=index, sha256=sha, kind="raster", image=path,
                          recognition_image=path, width_px=rendered.image.width, height_px=rendered.image.height))
        ocr.append(ground_truth_ocr(rendered))
    return Document(title=title, source_sha256=f"src-{name}", pages=tuple(pages), ocr=tuple(ocr), volume=volume,
                    classification=Classification(type=label, confidence=0.95, method="test"))


def born_digital_pdf(path: Path, title: str, body: str) -> Path:
    pdf = pymupdf.open()
    page = pdf.new_page()
    writer = pymupdf.TextWriter(page.rect)
    writer.append((72, 90), title, font=pymupdf.Font("cjk"), fontsize=20)
    writer.append((72, 140), body[:30], font=pymupdf.Font("cjk"), fontsize=11)
    writer.write_text(page)
    pdf.subset_fonts()
    pdf.save(path)
    pdf.close()
    return path


def born_digital_document(folder: Path, name: str, title: str, label: str) -> Document:
    path = born_digital_pdf(folder / f"{name}.pdf", title, BODY)
    page = Page(source_sha256=f"src-{name}", index=0, sha256=f"{name}-0", kind="born_digital", pdf=path)
    return Document(title=title, source_sha256=f"src-{name}", pages=(page,), ocr=(None,),
                    classification=Classification(type=label, confidence=1.0, method="test"))


def spec_for(key: Path, version: int, timestamp_url: str | None = None) -> SignatureSpec:
    return SignatureSpec(key, DEV_PASSPHRASE, f"edossier-v{version}", "电子卷宗装订", timestamp_url=timestamp_url)
