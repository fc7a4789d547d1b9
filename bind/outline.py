"""The bookmark tree, written with pyHanko into the revision that signs a version.

One top item per volume (正卷 or 副卷) with the cover, the catalogues, each
document and each closing sheet under it.  A later version rewrites only the
outline root object (same reference) and adds new items, so the growth policy
can tell this from tampering; earlier items stay in the file, unreferenced.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.rw_common import PdfHandler

from edossier.bind.assemble import Bookmark
from edossier.bind.volumes import VOLUME_NAMES


def read_bookmarks(reader: PdfHandler) -> list[Bookmark]:
    """The items under the volume bookmark of an earlier version, with 1-based pages."""
    if "/Outlines" not in reader.root:
        return []
    pages = {ref: i + 1 for i, ref in enumerate(page_refs(reader))}
    outline = reader.root["/Outlines"]
    if "/First" not in outline or "/First" not in outline["/First"]:
        return []
    marks = []
    item = outline["/First"]["/First"]
    while True:
        target = item["/Dest"].raw_get(0)
        marks.append(Bookmark(str(item["/Title"]), pages[target.reference]))
        if "/Next" not in item:
            return marks
        item = item["/Next"]


def page_refs(reader: PdfHandler) -> list[generic.Reference]:
    """Leaf page references in order, walking the tree once."""
    refs: list[generic.Reference] = []
    stack = [reader.root.raw_get("/Pages")]
    while stack:
        raw = stack.pop()
        node = raw.get_object()
        if node.get("/Type") == "/Pages":
            kids = node["/Kids"]
            stack.extend(kids.raw_get(i) for i in reversed(range(len(kids))))
        else:
            refs.append(raw.reference)
    return refs


def write_outline(writer: IncrementalPdfFileWriter, bookmarks: Sequence[Bookmark], volume: str) -> None:
    """Point the outline root at a fresh volume item holding BOOKMARKS."""
    root = writer.root
    existing = root.raw_get("/Outlines") if "/Outlines" in root else None
    if isinstance(existing, generic.IndirectObject):
        outline_ref = existing
        outline = existing.get_object()
        for key in list(outline.keys()):
            del outline[key]
        writer.mark_update(outline_ref)
    else:
        outline = generic.DictionaryObject()
        outline_ref = writer.add_object(outline)
        root["/Outlines"] = outline_ref
        root["/PageMode"] = generic.NameObject("/UseOutlines")
        writer.update_root()
    top = generic.DictionaryObject({
        generic.NameObject("/Title"): generic.TextStringObject(VOLUME_NAMES[volume]),
        generic.NameObject("/Parent"): outline_ref,
    })
    top_ref = writer.add_object(top)
    pages = page_refs(writer)
    refs = []
    for mark in bookmarks:
        page_ref = generic.IndirectObject(pages[mark.page - 1].idnum, pages[mark.page - 1].generation, writer)
        item = generic.DictionaryObject({
            generic.NameObject("/Title"): generic.TextStringObject(mark.title),
            generic.NameObject("/Parent"): top_ref,
            generic.NameObject("/Dest"): generic.ArrayObject([page_ref, generic.NameObject("/Fit")]),
        })
        refs.append((item, writer.add_object(item)))
    for (item, _), (_, following) in zip(refs, refs[1:]):
        item["/Next"] = following
    for (_, previous), (item, _) in zip(refs, refs[1:]):
        item["/Prev"] = previous
    if refs:
        top["/First"] = refs[0][1]
        top["/Last"] = refs[-1][1]
        top["/Count"] = generic.NumberObject(len(refs))
    outline["/Type"] = generic.NameObject("/Outlines")
    outline["/First"] = top_ref
    outline["/Last"] = top_ref
    outline["/Count"] = generic.NumberObject(len(refs) + 1)
