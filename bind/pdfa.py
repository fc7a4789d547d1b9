"""Join chunk PDFs into one file that carries what PDF/A-2b asks of the document level.

An sRGB output intent (profile made by Little CMS through Pillow: nothing to
download), XMP metadata agreeing with the document information dictionary and
naming PDF/A-2B, PDF 1.7 header, a file identifier.  Fonts are embedded by
the page builders and images carry no transparency; ``check_pdfa`` tests all of
that on a finished file.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
import subprocess
from pathlib import Path

import pikepdf
from PIL import ImageCms

from edossier import __version__
from edossier.errors import StageError, raise_if_signalled

SRGB = "sRGB IEC61966-2.1"


@lru_cache(maxsize=1)
def srgb_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def make_pdfa(
    chunks: Sequence[Path], output: Path, title: str, author: str, subject: str, keywords: Sequence[str]
) -> None:
    """Give the first chunk the document-level PDF/A entries, then let qpdf append the others.

    The qpdf command streams the pages' data from the chunk files (about 50 MB
    resident for a 1,000-page dossier); joining them in pikepdf kept about a
    page's worth of memory per page.
    """
    head = output.with_name(output.name + ".head.pdf")
    with pikepdf.open(chunks[0]) as pdf:
        profile = pikepdf.Stream(pdf, srgb_profile())
        profile.N = 3
        pdf.Root.OutputIntents = pikepdf.Array([
            pikepdf.Dictionary(
                Type=pikepdf.Name.OutputIntent,
                S=pikepdf.Name.GTS_PDFA1,
                OutputConditionIdentifier=SRGB,
                Info=SRGB,
                DestOutputProfile=profile,
            )
        ])
        pdf.docinfo[pikepdf.Name.Title] = title
        pdf.docinfo[pikepdf.Name.Author] = author
        pdf.docinfo[pikepdf.Name.Subject] = subject
        pdf.docinfo[pikepdf.Name.Keywords] = ", ".join(keywords)
        pdf.docinfo[pikepdf.Name.Creator] = f"edossier {__version__}"
        for key in ("/Producer", "/CreationDate", "/ModDate"):
            if key in pdf.docinfo:
                del pdf.docinfo[key]
        with pdf.open_metadata(set_pikepdf_as_editor=False) as xmp:
            xmp.load_from_docinfo(pdf.docinfo)
            xmp["pdfaid:part"] = "2"
            xmp["pdfaid:conformance"] = "B"
        pdf.save(head)
    command = ["qpdf", "--object-streams=generate", "--min-version=1.7", str(head), "--pages", "."]
    command += [str(chunk) for chunk in chunks[1:]] + ["--", str(output)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, encoding="utf-8", errors="replace")
    finally:
        head.unlink(missing_ok=True)
    raise_if_signalled("qpdf", result.returncode)
    if result.returncode not in (0, 3):  # 3: warnings only
        raise StageError(f"joining the dossier's pages failed: {result.stderr.strip()[:500]}")


def page_count(path: Path) -> int:
    with pikepdf.open(path) as pdf:
        return len(pdf.pages)


def check_pdfa(path: Path) -> list[str]:
    """The PDF/A-2b rules that can be decided from the file's structure; empty when all hold.

    Not a full validator (veraPDF cannot be installed here): it checks the
    header and catalogue version, the identification and agreement of XMP with
    the information dictionary, the output intent, the file identifier, no
    encryption, JavaScript or embedded files, every font embedded, no soft
    masks on images, and printable, visible annotations.
    """
    problems: list[str] = []
    with pikepdf.open(path) as pdf:
        if pdf.pdf_version > "1.7" or str(pdf.Root.get("/Version", "/1.7"))[1:] > "1.7":
            problems.append(f"PDF version {pdf.pdf_version}/{pdf.Root.get('/Version')}: PDF/A-2 is PDF 1.7")
        if pdf.is_encrypted:
            problems.append("encrypted")
        if "/ID" not in pdf.trailer:
            problems.append("no file identifier (/ID)")
        problems += _metadata_problems(pdf)
        problems += _intent_problems(pdf)
        for key in ("/JavaScript", "/EmbeddedFiles"):
            if key in pdf.Root.get("/Names", {}):
                problems.append(f"catalogue names {key}")
        for number, page in enumerate(pdf.pages, start=1):
            problems += [f"page {number}: {p}" for p in _page_problems(page)]
    return problems


def _metadata_problems(pdf: pikepdf.Pdf) -> list[str]:
    if "/Metadata" not in pdf.Root:
        return ["no XMP metadata"]
    meta = pdf.open_metadata()
    problems = []
    if meta.get("pdfaid:part") != "2" or meta.get("pdfaid:conformance") not in ("B", "U"):
        problems.append("XMP does not identify PDF/A-2b or -2u")
    pairs = (("/Title", "dc:title"), ("/Author", "dc:creator"), ("/Producer", "pdf:Producer"))
    for info_key, xmp_key in pairs:
        if info_key in pdf.docinfo:
            xmp_value = meta.get(xmp_key)
            xmp_text = xmp_value[0] if isinstance(xmp_value, list) and xmp_value else xmp_value
            if str(pdf.docinfo[info_key]) != str(xmp_text or ""):
                problems.append(f"{info_key} differs from XMP {xmp_key}")
    return problems


def _intent_problems(pdf: pikepdf.Pdf) -> list[str]:
    intents = pdf.Root.get("/OutputIntents", pikepdf.Array())
    pdfa = [i for i in intents if i.get("/S") == "/GTS_PDFA1"]
    if len(pdfa) != 1:
        return ["needs exactly one GTS_PDFA1 output intent"]
    profile = pdfa[0].get("/DestOutputProfile")
    if profile is None or int(profile.get("/N", 0)) != 3:
        return ["output intent has no RGB ICC profile"]
    return []


def _page_problems(page: pikepdf.Page) -> list[str]:
    problems = []
    resources = page.obj.get("/Resources", pikepdf.Dictionary())
    for name, font in resources.get("/Font", {}).items():
        fonts = [font, *font.get("/DescendantFonts", [])]
        descriptors = [f.get("/FontDescriptor") for f in fonts if "/FontDescriptor" in f]
        if not any(any(k in d for k in ("/FontFile", "/FontFile2", "/FontFile3")) for d in descriptors):
            problems.append(f"font {name} ({font.get('/BaseFont')}) is not embedded")
    for name, xobject in resources.get("/XObject", {}).items():
        if xobject.get("/Subtype") == "/Image" and "/SMask" in xobject:
            problems.append(f"image {name} has a soft mask (transparency)")
    for annot in page.obj.get("/Annots", []):
        flags = int(annot.get("/F", 0))
        if annot.get("/Subtype") != "/Popup" and (not flags & 4 or flags & (1 | 2 | 32)):
            problems.append(f"annotation {annot.get('/Subtype')} is not printable and visible")
    return problems
