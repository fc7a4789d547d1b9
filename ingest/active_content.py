"""Active content in uploaded PDFs: JavaScript, launch actions, embedded files.

A dossier is opened by judges on court machines, so nothing in it may run code,
start programs or smuggle files.  The original is kept byte for byte as evidence;
what is bound comes from a copy with the active parts removed, and the page
records say what was removed.
"""

from __future__ import annotations

from pathlib import Path

import pikepdf

from edossier.errors import EncryptedInputError, InputFileError

_DANGEROUS_ACTIONS = {"/JavaScript": "javascript", "/Launch": "launch", "/ImportData": "import_data",
                      "/SubmitForm": "submit_form", "/GoToE": "embedded_goto", "/Rendition": "rendition"}


def _action_kinds(action: pikepdf.Object, seen: set[tuple[int, int]] | None = None) -> set[str]:
    kinds: set[str] = set()
    seen = seen if seen is not None else set()
    if not isinstance(action, pikepdf.Dictionary):
        return kinds
    if action.is_indirect:
        if action.objgen in seen:
            return kinds
        seen.add(action.objgen)
    kind = _DANGEROUS_ACTIONS.get(str(action.get("/S", "")))
    if kind:
        kinds.add(kind)
    chained = action.get("/Next")
    for follow in (chained if isinstance(chained, pikepdf.Array) else [chained] if chained is not None else []):
        kinds |= _action_kinds(follow, seen)
    return kinds


def _strip(pdf: pikepdf.Pdf) -> list[str]:
    """Remove active parts in place; return the kinds found, sorted."""
    found: set[str] = set()
    root = pdf.Root
    if "/OpenAction" in root and isinstance(root.OpenAction, pikepdf.Dictionary):
        kinds = _action_kinds(root.OpenAction)
        if kinds:
            found |= kinds
            del root["/OpenAction"]
    if "/AA" in root:
        found |= _action_kinds_in_aa(root.AA) or {"additional_actions"}
        del root["/AA"]
    names = root.get("/Names")
    if isinstance(names, pikepdf.Dictionary):
        if "/JavaScript" in names:
            found.add("javascript")
            del names["/JavaScript"]
        if "/EmbeddedFiles" in names:
            found.add("embedded_files")
            del names["/EmbeddedFiles"]
    if "/AcroForm" in root and "/XFA" in root.AcroForm:
        found.add("xfa_form")
        del root.AcroForm["/XFA"]
    for page in pdf.pages:
        if "/AA" in page.obj:
            found |= _action_kinds_in_aa(page.obj.AA) or {"additional_actions"}
            del page.obj["/AA"]
        annots = page.obj.get("/Annots")
        if not isinstance(annots, pikepdf.Array):
            continue
        keep = pikepdf.Array()
        for annot in annots:
            if not isinstance(annot, pikepdf.Dictionary):
                continue
            kinds = set()
            if annot.get("/Subtype") == pikepdf.Name.FileAttachment:
                kinds.add("embedded_files")
            if "/A" in annot:
                kinds |= _action_kinds(annot.A)
            if "/AA" in annot:
                kinds |= _action_kinds_in_aa(annot.AA) or {"additional_actions"}
            if kinds:
                found |= kinds
            else:
                keep.append(annot)
        page.obj.Annots = keep
    return sorted(found)


def _action_kinds_in_aa(aa: pikepdf.Object) -> set[str]:
    kinds: set[str] = set()
    if isinstance(aa, pikepdf.Dictionary):
        for key in aa.keys():
            kinds |= _action_kinds(aa[key])
    return kinds


def sanitize_pdf(path: Path, target: Path, password: str | None = None) -> list[str]:
    """Write a copy of PATH without active content to TARGET; return what was removed.

    The copy is written when something was removed or the file is encrypted (the copy
    is then decrypted, so binding can read it); otherwise TARGET is left absent.
    """
    try:
        with pikepdf.open(path, password=password or "") as pdf:
            found = _strip(pdf)
            if found or pdf.is_encrypted:
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp = target.with_name(target.name + ".part")
                pdf.save(tmp)
                tmp.replace(target)
            return found
    except pikepdf.PasswordError:
        if password:
            raise EncryptedInputError(path, "is encrypted and the password given is wrong") from None
        raise EncryptedInputError(path, "is encrypted; supply its password with --password") from None
    except pikepdf.PdfError as exc:
        raise InputFileError(path, f"is not a readable PDF ({exc})") from None
