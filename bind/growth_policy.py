"""What a later dossier version may change after an earlier signature, for pyHanko's diff analysis.

pyHanko's default policy accepts new signatures, metadata and DSS updates but
not new pages.  A dossier grows by exactly this, and nothing else:

* pages appended at the end of the page tree (the tree nodes change only in
  ``/Kids``, extended at the end, and ``/Count``); every page signed before is
  still there, in the same place, as the same object;
* the new pages and the objects they use are new objects, never earlier ones
  rewritten;
* the outline root is rewritten in place and points to new outline items;
* a new signature field, its widget on the version's own closing sheet (备考表).

An earlier page, content stream, image or font rewritten in a later revision
is explained by no rule, so the earlier signature's diff result is
SuspiciousModification and ``verify`` fails.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import HistoricalResolver
from pyhanko.sign.diff_analysis import (
    DEFAULT_DIFF_POLICY,
    FormUpdatingRule,
    GenericFieldModificationRule,
    ModificationLevel,
    QualifiedWhitelistRule,
    ReferenceUpdate,
    SigFieldCreationRule,
    SigFieldModificationRule,
    StandardDiffPolicy,
)

LEVEL = ModificationLevel.ANNOTATIONS
TREE_KEYS = ("/Kids", "/Count")


class AppendPagesRule(QualifiedWhitelistRule):
    def apply_qualified(
        self, old: HistoricalResolver, new: HistoricalResolver
    ) -> Iterable[tuple[ModificationLevel, ReferenceUpdate]]:
        old_nodes, old_pages = _page_tree(old)
        new_nodes, new_pages = _page_tree(new)
        if new_pages[: len(old_pages)] != old_pages:
            return  # a page removed, moved or replaced: nothing here explains it
        for ref in new_nodes:
            if ref in old_nodes and not _node_only_grew(old(ref), new(ref)):
                return
        for ref in new_nodes:
            yield LEVEL, ReferenceUpdate(ref)
        for ref in new_pages[len(old_pages) :]:
            if not old.is_ref_unassignable(ref):
                return  # an earlier object reused as a "new" page
            yield LEVEL, ReferenceUpdate(ref)
            for fresh in _fresh_refs(old, new, new(ref)):
                yield LEVEL, ReferenceUpdate(fresh)
        outline = new.root.raw_get("/Outlines") if "/Outlines" in new.root else None
        if isinstance(outline, generic.IndirectObject):
            ref = outline.reference
            if not old.is_ref_unassignable(ref):
                yield LEVEL, ReferenceUpdate(ref)
            for fresh in _fresh_refs(old, new, new(ref)):
                yield LEVEL, ReferenceUpdate(fresh)


def _page_tree(resolver: HistoricalResolver) -> tuple[set[generic.Reference], list[generic.Reference]]:
    """Inner node refs and leaf page refs in order (indirect ones only; pikepdf and pyHanko write them so)."""
    nodes: set[generic.Reference] = set()
    pages: list[generic.Reference] = []

    def walk(raw: generic.PdfObject, depth: int) -> None:
        if depth > 64 or not isinstance(raw, generic.IndirectObject):
            return
        ref = raw.reference
        node = resolver(ref)
        if node.get("/Type") == "/Pages":
            nodes.add(ref)
            kids = node.raw_get("/Kids")
            kids = kids.get_object() if isinstance(kids, generic.IndirectObject) else kids
            for i in range(len(kids)):
                walk(kids.raw_get(i), depth + 1)
        else:
            pages.append(ref)

    walk(resolver.root.raw_get("/Pages"), 0)
    return nodes, pages


def _node_only_grew(before: generic.DictionaryObject, after: generic.DictionaryObject) -> bool:
    if set(before.keys()) != set(after.keys()):
        return False
    for key in before:
        if key in TREE_KEYS:
            continue
        if repr(before.raw_get(key)) != repr(after.raw_get(key)):
            return False
    old_kids = [before["/Kids"].raw_get(i) for i in range(len(before["/Kids"]))]
    new_kids = [after["/Kids"].raw_get(i) for i in range(len(after["/Kids"]))]
    return new_kids[: len(old_kids)] == old_kids


def _fresh_refs(
    old: HistoricalResolver, new: HistoricalResolver, start: generic.PdfObject
) -> Iterator[generic.Reference]:
    """Objects reachable from START through new objects only, not following /Parent.

    An object that existed at the signed revision is never yielded: rewriting
    one has to be explained by another rule, or it is suspicious.
    """
    seen: set[generic.Reference] = set()
    stack: list[generic.PdfObject] = [start]
    while stack:
        obj = stack.pop()
        if isinstance(obj, generic.IndirectObject):
            ref = obj.reference
            if ref in seen or not old.is_ref_unassignable(ref):
                continue
            seen.add(ref)
            yield ref
            stack.append(new(ref))
        elif isinstance(obj, generic.DictionaryObject):
            for key in obj:
                if key != "/Parent":
                    stack.append(obj.raw_get(key))
        elif isinstance(obj, generic.ArrayObject):
            stack.extend(obj.raw_get(i) for i in range(len(obj)))


DOSSIER_DIFF_POLICY = StandardDiffPolicy(
    global_rules=[*DEFAULT_DIFF_POLICY.global_rules, AppendPagesRule()],
    # pyHanko approves a new signature's widget only on an unchanged page tree;
    # ours sit on the version's own closing sheet, a new page AppendPagesRule clears
    form_rule=FormUpdatingRule(
        field_rules=[
            SigFieldCreationRule(approve_widget_bindings=False),
            SigFieldModificationRule(),
            GenericFieldModificationRule(),
        ],
    ),
)
