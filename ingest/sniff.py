"""Tell what a file is from its bytes, not its name: uploads lie about extensions.

The first bytes name the family (PDF, an image, a ZIP or OLE container, RTF, an
executable); a container is then opened to tell an OFD from a .docx from an
.odt, and a .doc from other OLE files. Documents that carry macros are refused
here, before any converter sees them, and so are programs whatever their name.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import olefile

from edossier.errors import InputFileError, UnsupportedInputError

PDF = "application/pdf"
OFD = "application/ofd"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DOC = "application/msword"
ODT = "application/vnd.oasis.opendocument.text"
RTF = "application/rtf"
HEIC = "image/heic"
ZIP = "application/zip"
OLE = "application/x-ole-storage"

WORD_PROCESSOR_TYPES = frozenset({DOCX, DOC, ODT, RTF})
"""What LibreOffice converts: Word (.docx, .doc), WPS (.wps, an OLE Word file), RTF and ODT."""

READABLE = "a PDF, OFD, Word/WPS (.docx .doc .wps), RTF, ODT, PNG, JPEG, TIFF or HEIC file"

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"PK\x03\x04", ZIP),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", OLE),
    (b"{\\rtf", RTF),
)
_EXECUTABLES: tuple[tuple[bytes, str], ...] = (
    (b"\x7fELF", "an ELF executable"),
    (b"MZ", "a Windows executable"),
    (b"\xcf\xfa\xed\xfe", "a Mach-O executable"),
    (b"\xfe\xed\xfa\xcf", "a Mach-O executable"),
    (b"#!", "a script"),
)
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}
_EXTENSIONS = {
    ".pdf": PDF,
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".heic": HEIC,
    ".heif": HEIC,
    ".ofd": OFD,
    ".docx": DOCX,
    ".doc": DOC,
    ".wps": DOC,
    ".rtf": RTF,
    ".odt": ODT,
}
KNOWN_SUFFIXES = frozenset(_EXTENSIONS)
"""The file name suffixes of what intake reads (a folder of originals is scanned for these)."""
SUFFIXES = {PDF: ".pdf", "image/png": ".png", "image/jpeg": ".jpg", "image/tiff": ".tif", HEIC: ".heic",
            OFD: ".ofd", DOCX: ".docx", DOC: ".doc", RTF: ".rtf", ODT: ".odt"}
"""The usual suffix of each readable type (uploads are saved under it)."""


def sniff_bytes(head: bytes) -> str | None:
    """The media type family for the first bytes of a file, or None if unknown.

    ZIP and OLE containers come back as such: what they hold needs the whole file (``sniff``).
    """
    for magic, media_type in _MAGIC:
        # PDF readers accept a header within the first 1 KiB; so do we.
        if (magic == b"%PDF-" and magic in head[:1024]) or head.startswith(magic):
            return media_type
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return HEIC
    return None


def sniff(path: Path, name: str | None = None) -> str:
    """The media type of PATH; refuse empty, unknown, mislabelled, macro-bearing or executable files.

    NAME is the name the file was handed over under (an upload's), when PATH's own name is not it.
    """
    try:
        with open(path, "rb") as handle:
            head = handle.read(1024)
    except FileNotFoundError:
        raise InputFileError(path, "no such file") from None
    except IsADirectoryError:
        raise InputFileError(path, "is a directory, not a file") from None
    except OSError as exc:
        raise InputFileError(path, f"cannot be read ({exc.strerror})") from None
    if not head:
        raise InputFileError(path, "is empty (0 bytes)")
    for magic, what in _EXECUTABLES:
        if head.startswith(magic):
            raise UnsupportedInputError(path, f"is {what}, not a document; programs are never accepted")
    media_type = sniff_bytes(head)
    if media_type == ZIP:
        media_type = _zip_type(path)
    elif media_type == OLE:
        media_type = _ole_type(path)
    if media_type is None:
        raise UnsupportedInputError(path, f"is not {READABLE}")
    suffix = Path(name).suffix if name else path.suffix
    claimed = _EXTENSIONS.get(suffix.lower())
    if claimed is not None and claimed != media_type:
        raise InputFileError(path, f"content is {media_type} but the extension {suffix!r} says {claimed}")
    return media_type


def _zip_type(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "OFD.xml" in names:
                return OFD
            if "[Content_Types].xml" in names and "word/document.xml" in names:
                types = archive.read("[Content_Types].xml")
                if b"macroEnabled" in types or any(n.lower().endswith("vbaproject.bin") for n in names):
                    raise UnsupportedInputError(path, "is a Word document with macros (VBA); macros are never accepted")
                return DOCX
            if "mimetype" in names and archive.read("mimetype").strip() == ODT.encode():
                if any(n.startswith(("Basic/", "Scripts/")) for n in names):
                    raise UnsupportedInputError(path, "is an ODT document with macros; macros are never accepted")
                return ODT
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
        raise InputFileError(path, f"is a damaged or truncated ZIP container ({exc})") from None
    raise UnsupportedInputError(path, f"is a ZIP archive, not {READABLE}")


def _ole_type(path: Path) -> str:
    try:
        with olefile.OleFileIO(str(path)) as ole:
            if not ole.exists("WordDocument"):
                raise UnsupportedInputError(path, f"is an OLE file that is not a Word/WPS document, not {READABLE}")
            if ole.exists("Macros") or ole.exists("_VBA_PROJECT_CUR"):
                raise UnsupportedInputError(path, "is a Word document with macros (VBA); macros are never accepted")
    except OSError as exc:  # olefile reports damaged containers as OSError
        raise InputFileError(path, f"is a damaged Word/WPS file ({exc})") from None
    return DOC
