"""Reading the parts of an OFD (GB/T 33190) package safely.

An OFD is a ZIP of XML parts. It arrives from outside the court, so every part
is read with a cap on its unpacked size and on the whole package's (a zip bomb
declares small sizes and inflates to gigabytes), and part names are resolved
the way OFD producers write them: relative to the referring part, sometimes
absolute, and in any letter case (``DOC_0/Res`` for ``Doc_0/Res``).
"""

from __future__ import annotations

import posixpath
import zipfile
from pathlib import Path

from lxml import etree

from edossier.config import LimitsSettings
from edossier.errors import InputFileError, LimitExceededError

MAX_RATIO = 200
"""Deflate compresses XML about 10:1; a part inflating over 200 times its packed size is a bomb."""


class OfdPackage:
    """An open OFD package: parts by name, each read at most once and within the limits."""

    def __init__(self, path: Path, limits: LimitsSettings) -> None:
        self.path = path
        self.limits = limits
        try:
            self._zip = zipfile.ZipFile(path)
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError) as exc:
            raise InputFileError(path, f"is a damaged or truncated OFD package ({exc})") from None
        declared = sum(info.file_size for info in infos)
        if declared > limits.max_unpacked_bytes:
            raise LimitExceededError(
                path, f"unpacks to {declared} bytes, over the limit of {limits.max_unpacked_bytes} (a zip bomb?)"
            )
        self._names = {info.filename.lower(): info for info in infos if not info.is_dir()}
        self._read = 0

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> OfdPackage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    def resolve(base: str, location: str) -> str:
        """LOCATION as written in the part BASE (relative to BASE's folder, or absolute from the root)."""
        location = location.strip().replace("\\", "/")
        if location.startswith("/"):
            return posixpath.normpath(location.lstrip("/"))
        return posixpath.normpath(posixpath.join(posixpath.dirname(base), location))

    def has(self, name: str) -> bool:
        return name.lower() in self._names

    def read(self, name: str) -> bytes:
        """The bytes of part NAME; a missing, damaged or inflating part is bad input."""
        info = self._names.get(name.lower())
        if info is None:
            raise InputFileError(self.path, f"is a damaged OFD: its part {name} is missing")
        cap = min(self.limits.max_unpacked_bytes - self._read, max(info.compress_size, 1) * MAX_RATIO + (1 << 16))
        try:
            with self._zip.open(info) as member:
                data = member.read(cap + 1)
        except (zipfile.BadZipFile, EOFError, ValueError, OSError, RuntimeError) as exc:
            raise InputFileError(self.path, f"is a damaged OFD: its part {name} cannot be read ({exc})") from None
        if len(data) > cap:
            raise LimitExceededError(
                self.path, f"part {name} inflates past {cap} bytes from {info.compress_size} (a zip bomb?)"
            )
        self._read += len(data)
        return data

    def xml(self, name: str) -> etree._Element:
        """Part NAME parsed as XML (no network, no entities: the part is untrusted)."""
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)
        try:
            return etree.fromstring(self.read(name), parser)
        except etree.XMLSyntaxError as exc:
            raise InputFileError(self.path, f"is a damaged OFD: its part {name} is not valid XML ({exc})") from None


def local(element: etree._Element) -> str:
    """An element's name without its namespace (producers write both ofdspec.org and ofdspec.org/2016)."""
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def child(element: etree._Element, name: str) -> etree._Element | None:
    return next((c for c in element if local(c) == name), None)


def children(element: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in element if local(c) == name]


def descendants(element: etree._Element, name: str) -> list[etree._Element]:
    return [e for e in element.iter() if local(e) == name]


def text_of(element: etree._Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""
