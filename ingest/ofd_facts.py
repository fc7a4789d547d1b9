"""What an OFD says about itself: its electronic seals and, for e-invoices, the invoice fields.

Seals (GB/T 38540): each ``Signature.xml`` lists the parts it covers with their
digests (SM3 or SHA) and points at the signed value, which holds the seal's
picture and the SM2 signature over ``Signature.xml``. The digests are checked here
against the package's own parts, so a part changed after sealing is caught; the
signature is verified by ``ofd_seal_signature``, so a forger who changes a part and
recomputes its digest is caught too. The record names each seal's verdict.

Invoice fields come from the OFD's own labels: ``CustomData`` in ``OFD.xml``
and the ``CustomTags`` that point at the text objects holding each value.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from io import BytesIO
from lxml import etree
from PIL import Image

from edossier.config import SealSettings
from edossier.ingest.ofd import OfdDocument, parse_box
from edossier.ingest.ofd_package import OfdPackage, child, children, descendants, local, text_of
from edossier.ingest.ofd_seal_signature import DIGESTS, SignatureCheck, check_signature

_FIELDS = {
    # field: (CustomTag element names, CustomData names)
    "发票代码": (("InvoiceCode",), ("发票代码",)),
    "发票号码": (("InvoiceNo",), ("发票号码",)),
    "开票日期": (("IssueDate",), ("开票日期",)),
    "金额": (("TaxExclusiveTotalAmount",), ("合计金额",)),
    "税额": (("TaxTotalAmount",), ("合计税额",)),
    "价税合计": (("TaxInclusiveTotalAmount",), ("价税合计",)),
    "购买方名称": (("BuyerName",), ("购买方名称",)),
    "购买方税号": (("BuyerTaxID",), ("购买方纳税人识别号",)),
    "销售方名称": (("SellerName",), ("销售方名称",)),
    "销售方税号": (("SellerTaxID",), ("销售方纳税人识别号",)),
}


Stamps = tuple[tuple[str, tuple[float, float, float, float]], ...]
"""(page ID, boundary in mm) of each place a seal's picture is drawn."""


@dataclass(frozen=True)
class Seal:
    """One electronic seal or signature on the OFD, as found and checked at intake."""

    part: str
    """Its Signature.xml, which names the seal in remarks."""
    signed_at: str
    method: str
    provider: str
    references: int
    digests_ok: bool | None
    """True when every covered part's digest matches; None when the digest method is unknown here."""
    stamps: Stamps
    """(page ID, boundary in mm) where the seal's picture is drawn."""
    picture: bytes | None
    signature: SignatureCheck
    """The verdict on the signature value (SM2 over Signature.xml)."""


def seals(package: OfdPackage, doc: OfdDocument, trust: SealSettings | None = None) -> list[Seal]:
    """The document's seals, each checked; TRUST is the court's ``[seals]`` settings (trust anchors, CRLs)."""
    return [_seal(package, part, xml, trust) for part, xml in _signature_parts(package, doc)]


def seal_pictures(package: OfdPackage, doc: OfdDocument) -> list[tuple[bytes | None, Stamps]]:
    """Each seal's picture and where it is drawn, without checking it: what drawing the pages needs
    (``seals`` has checked them once at intake; each check runs OpenSSL several times)."""
    return [(_picture(_signed_value(package, part, xml)), _stamps(xml)) for part, xml in _signature_parts(package, doc)]


def _signature_parts(package: OfdPackage, doc: OfdDocument) -> list[tuple[str, etree._Element]]:
    """Each seal's Signature.xml part name and parsed XML, as the document's Signatures.xml lists them."""
    if not doc.signatures_part or not package.has(doc.signatures_part):
        return []
    parts = [OfdPackage.resolve(doc.signatures_part, entry.get("BaseLoc", ""))
             for entry in descendants(package.xml(doc.signatures_part), "Signature")]
    return [(part, package.xml(part)) for part in parts]


def _signed_info(xml: etree._Element) -> etree._Element:
    info = child(xml, "SignedInfo")
    return xml if info is None else info


def _signed_value(package: OfdPackage, part: str, xml: etree._Element) -> bytes:
    value = text_of(child(xml, "SignedValue"))
    return package.read(OfdPackage.resolve(part, value)) if value else b""


def _stamps(xml: etree._Element) -> Stamps:
    return tuple((s.get("PageRef", ""), parse_box(s.get("Boundary"))) for s in children(_signed_info(xml), "StampAnnot"))


def _seal(package: OfdPackage, part: str, xml: etree._Element, trust: SealSettings | None) -> Seal:
    info = _signed_info(xml)
    refs = child(info, "References")
    # Only exact names: ofdrw's n.ofd says 1.2.156.10197.1.401.2, whose digests are not plain SM3.
    method = DIGESTS.get((refs.get("CheckMethod", "") if refs is not None else "").lower())
    references = children(refs, "Reference") if refs is not None else []
    digests_ok: bool | None = None
    if method is not None:
        digests_ok = all(
            package.has(name := OfdPackage.resolve(part, ref.get("FileRef", "")))
            and base64.b64encode(hashlib.new(method, package.read(name)).digest()).decode()
            == text_of(child(ref, "CheckValue"))
            for ref in references
        )
    signed_value = _signed_value(package, part, xml)
    provider = child(info, "Provider")
    return Seal(
        part=part,
        signed_at=text_of(child(info, "SignatureDateTime")),
        method=text_of(child(info, "SignatureMethod")),
        provider=(provider.get("ProviderName", "") or text_of(child(provider, "ProviderName"))) if provider is not None else "",
        references=len(references),
        digests_ok=digests_ok,
        stamps=_stamps(xml),
        picture=_picture(signed_value),
        signature=check_signature(signed_value, package.read(part), trust),
    )


def _picture(signed_value: bytes) -> bytes | None:
    """The seal's picture inside the signed value (a PNG or JPEG in the ASN.1), re-encoded as PNG."""
    for magic in (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff"):
        at = signed_value.find(magic)
        if at < 0:
            continue
        try:
            with Image.open(BytesIO(signed_value[at:])) as image:
                out = BytesIO()
                image.convert("RGBA").save(out, format="PNG")
                return out.getvalue()
        except (OSError, ValueError):
            continue
    return None  # an OFD-format or unknown picture: the seal is recorded, not drawn


def seal_remark(found: list[Seal]) -> str | None:
    """The catalogue remark for a sealed OFD (None when it carries no seal).

    The worst finding leads: a signature that is not valid (its value, or an expired seal or certificate, a bad
    maker signature or timestamp, an untrusted chain), then a part changed after sealing, then what could not be
    checked; only when every seal's signature is valid and every digest matches does it say so. Each valid
    signature is named with its certificate's subject and what was found about it (validity, maker, timestamp,
    and whether the chain is trusted or 未核验).
    """
    if not found:
        return None
    named = [(_name(n, seal), seal) for n, seal in enumerate(found, 1)]
    invalid = [f"{name}{s.signature.reason}" for name, s in named if s.signature.state == "invalid"]
    unchecked = [f"{name}{s.signature.reason}" for name, s in named if s.signature.state == "unchecked"]
    unchecked += [f"{name}摘要算法不支持，未核对" for name, s in named if s.digests_ok is None]
    verdicts = []
    if invalid:
        verdicts.append("签名无效：" + "；".join(invalid))
    if any(seal.digests_ok is False for seal in found):
        verdicts.append("签章后内容被改动（摘要不符）")
    if unchecked:
        verdicts.append("未能全部核对：" + "；".join(unchecked))
    verdict = "；".join(verdicts) or "签名值验证有效，所签内容摘要核对一致"
    signers = dict.fromkeys(
        f"{s.signature.signer}（{'，'.join(s.signature.findings)}）" for s in found if s.signature.state == "valid"
    )
    valid = f"；有效签名的证书主体：{'、'.join(signers)}" if signers else ""
    return f"原件含电子签章{len(found)}个，{verdict}{valid}"


def _name(n: int, seal: Seal) -> str:
    """How a remark names a seal: its number, the seal's own name where it has one, its Signature.xml."""
    own = f"「{seal.signature.seal_name}」" if seal.signature.seal_name else ""
    return f"签章{n}{own}（{seal.part}）"


def seal_metadata(found: list[Seal]) -> dict[str, str]:
    out: dict[str, str] = {}
    for n, seal in enumerate(found, 1):
        state = {True: "摘要一致", False: "摘要不符", None: "摘要未核对"}[seal.digests_ok]
        check = seal.signature
        verdict = {"valid": "", "invalid": "签名无效：", "unchecked": "签名未能验证："}[check.state] + check.reason
        signer = f" 证书主体{check.signer}" if check.signer else ""
        findings = f" {'，'.join(check.findings)}" if check.findings else ""
        out[f"电子签章{n}"] = (
            f"{seal.signed_at} {seal.provider} 签名算法{seal.method} 覆盖{seal.references}个部件 {state} "
            f"{verdict}{signer}{findings} {_name(n, seal)}"
        ).strip()
    return out


def invoice_fields(package: OfdPackage, doc: OfdDocument) -> dict[str, str]:
    """E-invoice fields from the OFD's CustomData and CustomTags; empty for other documents."""
    body = child(doc.ofd_xml, "DocBody")
    info = child(body, "DocInfo") if body is not None else None
    custom = {c.get("Name", ""): text_of(c) for c in descendants(info, "CustomData")} if info is not None else {}
    tagged = _tagged_text(package, doc)
    out = {}
    for field, (tags, names) in _FIELDS.items():
        value = next((tagged[t] for t in tags if tagged.get(t)), "") or next((custom[n] for n in names if custom.get(n)), "")
        if value:
            out[field] = value
    return out


def _tagged_text(package: OfdPackage, doc: OfdDocument) -> dict[str, str]:
    ref = child(doc.document, "CustomTags")
    if ref is None or not text_of(ref):
        return {}
    index_part = OfdPackage.resolve(doc.doc_part, text_of(ref))
    if not package.has(index_part):
        return {}
    objects: dict[str, str] | None = None
    out: dict[str, str] = {}
    for tag in descendants(package.xml(index_part), "CustomTag"):
        loc = text_of(child(tag, "FileLoc"))
        part = OfdPackage.resolve(index_part, loc) if loc else ""
        if not part or not package.has(part):
            continue
        for element in package.xml(part).iter():
            refs = children(element, "ObjectRef")
            if not refs:
                continue
            if objects is None:
                objects = _object_texts(doc)
            value = "".join(objects.get(text_of(r), "") for r in refs).strip()
            if value:
                out.setdefault(local(element), value)
    return out


def _object_texts(doc: OfdDocument) -> dict[str, str]:
    """Text object ID → its text, over every page and template."""
    out = {}
    for index in range(len(doc.page_refs)):
        for layer in doc.page(index).layers:
            for obj in descendants(layer, "TextObject"):
                out[obj.get("ID", "")] = "".join("".join(code.itertext()) for code in children(obj, "TextCode"))
    return out
