"""Tell what a file is from its bytes, not its name: uploads lie about extensions."""

from __future__ import annotations

from pathlib import Path

from edossier.errors import InputFileError, UnsupportedInputError

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)
_EXTENSIONS = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
}


def sniff_bytes(head: bytes) -> str | None:
    """The media type for the first bytes of a file, or None if unknown."""
    for magic, media_type in _MAGIC:
        # PDF readers accept a header within the first 1 KiB; so do we.
        if (magic == b"%PDF-" and magic in head[:1024]) or head.startswith(magic):
            return media_type
    return None


def sniff(path: Path) -> str:
    """The media type of PATH; refuse empty, unknown or mislabelled files."""
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
    media_type = sniff_bytes(head)
    if media_type is None:
        raise UnsupportedInputError(path, "is not a PDF, PNG, JPEG or TIFF file")
    claimed = _EXTENSIONS.get(path.suffix.lower())
    if claimed is not None and claimed != media_type:
        raise InputFileError(
            path, f"content is {media_type} but the extension {path.suffix!r} says {claimed}"
        )
    return media_type
