"""Builders for hostile inputs: each makes a real file of the kind uploads bring."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pikepdf
import pymupdf

TEXT = "本院受理原告诉被告合同纠纷一案，依法组成合议庭，公开开庭进行了审理。"


def text_pdf(path: Path, pages: int = 1, width: float = 595, height: float = 842) -> Path:
    """A born-digital PDF with a real Chinese text layer on every page."""
    doc = pymupdf.open()
    for number in range(pages):
        page = doc.new_page(width=width, height=height)
        page.insert_text((72, 100), f"第{number + 1}页 {TEXT}", fontname="china-s", fontsize=11)
    doc.save(path, garbage=1)
    doc.close()
    return path


def pdf_with_javascript(path: Path) -> Path:
    text_pdf(path)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        js = pdf.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert('x')")))
        pdf.Root.OpenAction = js
        pdf.Root.Names = pikepdf.Dictionary(
            JavaScript=pikepdf.Dictionary(Names=pikepdf.Array([pikepdf.String("run"), js]))
        )
        pdf.save(path)
    return path


def pdf_with_launch_action(path: Path) -> Path:
    text_pdf(path)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        action = pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("C:\\Windows\\System32\\calc.exe"))
        link = pdf.make_indirect(
            pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link,
                               Rect=pikepdf.Array([72, 72, 300, 120]), A=action)
        )
        pdf.pages[0].obj.Annots = pdf.make_indirect(pikepdf.Array([link]))
        pdf.save(path)
    return path


def pdf_with_embedded_file(path: Path) -> Path:
    text_pdf(path)
    doc = pymupdf.open(path)
    doc.embfile_add("payload.exe", b"MZ\x90\x00 not really a program", filename="payload.exe")
    doc.saveIncr()
    doc.close()
    return path


def png_declaring(path: Path, width: int, height: int) -> Path:
    """A tiny PNG whose header declares WIDTH×HEIGHT pixels (a decompression bomb's shape)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
    return path


def tiff_with_broken_ifd(source_tiff: Path, path: Path) -> Path:
    """A real TIFF whose first IFD offset points past the end of the file."""
    data = bytearray(source_tiff.read_bytes())
    little = data[:2] == b"II"
    data[4:8] = struct.pack("<I" if little else ">I", len(data) + 4096)
    path.write_bytes(bytes(data))
    return path


def tiff_with_garbage_ifd(source_tiff: Path, path: Path) -> Path:
    """A real TIFF whose first IFD entries are overwritten with garbage."""
    data = bytearray(source_tiff.read_bytes())
    little = data[:2] == b"II"
    offset = struct.unpack("<I" if little else ">I", data[4:8])[0]
    data[offset + 2 : offset + 2 + 48] = bytes(range(200, 248))
    path.write_bytes(bytes(data))
    return path
