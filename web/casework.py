"""What the clerk's desk does with online filings (网上立案) and electronic service (e键送达).

One object serves the web routes and ``edossier filings``: it checks who may
do what, keeps the records (``records.py``), runs the pipeline for an accepted
filing or a delivered document, and writes every step to the audit trail.
Pipeline runs go to one background worker in the server (one at a time, like
online submission) and run in place from the command line; a run cut off by a
restart is taken up again when the server starts.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from edossier.bind.approval_record import DECISIONS, ApprovalRecord
from edossier.bind.assemble import CoverFacts
from edossier.bind.service_receipt import ServiceReceipt
from edossier.casenumber import CaseNumber, case_type_codes
from edossier.config import Settings
from edossier.errors import EdossierError, ExitCode, ImmutableObjectError, NotFoundError
from edossier.pipeline.court_forms import court_time
from edossier.pipeline.approval import APPROVAL_TYPE, bind_approval
from edossier.pipeline.delivery import RECEIPT_TYPE, bind_receipt
from edossier.pipeline.online_filing import bind_filing, check_new_case
from edossier.pipeline.process import Material
from edossier.pipeline.retry import publish_retrying
from edossier.storage import Store
from edossier.storage.audit import AuditLog
from edossier.storage.manifest import latest_version, read_manifest
from edossier.types import Document, DossierVersion, sha256_file
from edossier.web.accounts import FILER_ROLES, Accounts, User
from edossier.web.records import Filing, KeptFile, Party, Service, StateError, open_records, records_folder
from edossier.web.submission import Upload, declarable_types, receive_uploads, stem
from edossier.web.volumes import fetch_checked

log = logging.getLogger(__name__)

PARTY_ROLES = ("原告", "被告", "第三人", "申请人", "被申请人", "上诉人", "被上诉人", "申请执行人", "被执行人",
               "自诉人", "被告人", "起诉人")
ROLE_NAMES = {"clerk": "书记员", "judge": "法官", "archivist": "档案员", "lawyer": "律师", "party": "当事人"}


class CaseworkError(EdossierError):
    """A refused request at the desk, with the HTTP status the web answers it with."""

    exit_code = ExitCode.bad_argument

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class FilingForm:
    """What the filer states (all but the materials): checked by ``check``."""

    court: str
    case_type: str
    cause: str
    parties: tuple[str, ...]
    """"原告：张三" lines (a full-width or ASCII colon)."""
    claims: str

    def check(self) -> tuple[Party, ...]:
        if not self.court.strip():
            raise CaseworkError("请填写受理法院")
        if self.case_type not in case_type_codes():
            raise CaseworkError(f"未知的案件类型 {self.case_type!r}")
        if not self.cause.strip():
            raise CaseworkError("请填写案由")
        if not self.claims.strip():
            raise CaseworkError("请填写诉讼请求")
        parties = tuple(_party(line) for line in self.parties if line.strip())
        if not parties:
            raise CaseworkError("请至少填写一名当事人（如“原告：张三”）")
        return parties


def _party(line: str) -> Party:
    role, sep, name = line.replace(":", "：").partition("：")
    if not sep or role.strip() not in PARTY_ROLES or not name.strip():
        raise CaseworkError(f"当事人“{line.strip()}”应写作“诉讼地位：姓名”，诉讼地位为{'、'.join(PARTY_ROLES)}之一")
    return Party(role.strip(), name.strip()[:80])


class Casework:
    def __init__(self, settings: Settings, store: Store, audit: AuditLog, accounts: Accounts,
                 on_published: Callable[[CaseNumber], object] = lambda case: None, *, background: bool = True) -> None:
        self.settings = settings
        self.store = store
        self.audit = audit
        self.accounts = accounts
        self.on_published = on_published
        self.records = open_records(settings)
        self.folder = records_folder(settings)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="casework") if background else None
        if background:
            self.resume()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self.records.close()

    def resume(self) -> None:
        """Take up the runs a restart cut off: filings being accepted, receipts not yet bound."""
        for filing in self.records.filings(states=("accepting",)):
            self._later(self._bind_filing, filing.id)
        for service in self.records.services(states=("delivered",)):
            self._later(self._bind_receipt, service.id)

    def _later(self, run: Callable[[str], object], key: str) -> None:
        if self._pool is None:
            run(key)
        else:
            self._pool.submit(run, key)

    # --- 网上立案: the filer's side -------------------------------------------------

    def file(self, user: User, form: FilingForm, uploads: list[Upload], doc_types: Sequence[str]) -> Filing:
        """Keep a new filing, pending; nothing reaches the store."""
        if user.role not in FILER_ROLES:
            raise CaseworkError("只有律师或当事人账户可以网上立案", 403)
        parties = form.check()
        filing_id = secrets.token_hex(8)
        kept = self._keep(user, filing_id, uploads, doc_types, first=1)
        filing = Filing(id=filing_id, filer=user.name, court=form.court.strip(), case_type=form.case_type,
                        cause=form.cause.strip(), parties=parties, claims=form.claims.strip(), materials=kept,
                        history=({"time": time.time(), "user": user.name, "state": "pending"},))
        self.records.add_filing(filing)
        self.audit.append(user.name, "filing_received", None, _objects(kept),
                          {"filing": filing_id, "case_type": form.case_type, "cause": filing.cause})
        return filing

    def resubmit(self, user: User, filing_id: str, form: FilingForm, uploads: list[Upload],
                 doc_types: Sequence[str]) -> Filing:
        """补正: the filer corrects a rejected filing (new statements, more materials); it is pending again."""
        filing = self.filing_for(user, filing_id)
        if filing.filer != user.name:
            raise CaseworkError("只有立案申请人可以补正", 403)
        if filing.state != "rejected":
            raise CaseworkError(f"立案申请处于“{STATE_NAMES[filing.state]}”状态，无需补正", 409)
        parties = form.check()
        added = self._keep(user, filing_id, uploads, doc_types, first=len(filing.materials) + 1) if uploads else ()
        try:
            updated = self.records.change_filing(
                filing_id, ("rejected",), user.name, state="pending", court=form.court.strip(),
                case_type=form.case_type, cause=form.cause.strip(), parties=parties, claims=form.claims.strip(),
                materials=(*filing.materials, *added), reason=None)
        except StateError as exc:
            raise CaseworkError(f"立案申请处于“{STATE_NAMES[exc.state]}”状态，无需补正", 409) from None
        self.audit.append(user.name, "filing_resubmitted", None, _objects(added),
                          {"filing": filing_id})
        return updated

    def _keep(self, user: User, filing_id: str, uploads: list[Upload], doc_types: Sequence[str],
              first: int) -> tuple[KeptFile, ...]:
        allowed = set(declarable_types(user))
        types = [t or None for t in doc_types] + [None] * (len(uploads) - len(doc_types))
        for declared in types:
            if declared and declared not in allowed:
                raise CaseworkError(f"未知的材料类型 {declared!r}")
        paths = receive_uploads(uploads, self.folder / "filings" / filing_id, self.settings.web, first)
        return tuple(KeptFile(file=p.name, name=stem(u.filename), sha256=sha256_file(p), size=p.stat().st_size,
                              doc_type=t) for p, u, t in zip(paths, uploads, types[: len(uploads)], strict=True))

    # --- 网上立案: reading ------------------------------------------------------------

    def filings(self, user: User, state: str | None = None) -> list[Filing]:
        """Court staff see every filing, a filer their own."""
        states = (state,) if state else None
        return self.records.filings(filer=None if user.court else user.name, states=states)

    def filing_for(self, user: User, filing_id: str) -> Filing:
        """The filing if USER may read it (court staff, or its filer); otherwise as if it did not exist."""
        try:
            filing = self.records.filing(filing_id)
        except NotFoundError:
            raise NotFoundError("没有此立案申请") from None
        if not user.court and filing.filer != user.name:
            raise NotFoundError("没有此立案申请")
        return filing

    def material(self, user: User, filing_id: str, number: int) -> tuple[Filing, KeptFile, Path]:
        filing = self.filing_for(user, filing_id)
        if not 1 <= number <= len(filing.materials) or filing.state == "accepted":
            raise NotFoundError("没有此材料")  # accepted materials are read in the case's dossier
        kept = filing.materials[number - 1]
        self.audit.append(user.name, "filing_material_viewed", filing.case, {kept.name: kept.sha256},
                          {"filing": filing_id, "material": number})
        return filing, kept, self.folder / "filings" / filing_id / kept.file

    # --- 网上立案: the clerk's decision -------------------------------------------------

    def accept(self, user: User, filing_id: str, case_text: str) -> Filing:
        """Register the case: check the number, then bind version 1 (in the background in the server)."""
        _clerk_only(user)
        filing = self.filing_for(user, filing_id)
        case = CaseNumber.parse(case_text)
        if case.type != filing.case_type:
            raise CaseworkError(f"案号的类型代字“{case.type}”与申请的案件类型“{filing.case_type}”不符")
        if filing.state not in ("pending", "failed"):
            raise CaseworkError(f"立案申请处于“{STATE_NAMES[filing.state]}”状态，不能立案", 409)
        try:
            check_new_case(self.store, case, self._materials(filing))
        except ImmutableObjectError:
            raise CaseworkError(f"案号 {case.normalized} 已有卷宗；网上立案须使用新案号", 409) from None
        try:
            filing = self.records.change_filing(filing_id, ("pending", "failed"), user.name, state="accepting",
                                                case=case.normalized, reason=None)
        except StateError as exc:
            raise CaseworkError(f"立案申请处于“{STATE_NAMES[exc.state]}”状态，不能立案", 409) from None
        self.audit.append(user.name, "filing_accepting", case.normalized, detail={"filing": filing_id})
        self._later(self._bind_filing, filing_id)
        return self.records.filing(filing_id)

    def _materials(self, filing: Filing) -> list[Material]:
        folder = self.folder / "filings" / filing.id
        return [Material(path=folder / k.file, declared_type=k.doc_type, title=k.name) for k in filing.materials]

    def _bind_filing(self, filing_id: str) -> None:
        filing = self.records.filing(filing_id)
        clerk = filing.history[-1]["user"]  # who took the acceptance (the last change of state)
        case = filing.case or ""
        cover = CoverFacts(court=filing.court, cause=filing.cause, filed=court_time(filing.created).date().isoformat(),
                           parties="；".join(f"{p.role}：{p.name}" for p in filing.parties))
        settings = self.settings.model_copy(update={"user": clerk})
        try:
            summary = publish_retrying(lambda: bind_filing(self._materials(filing), case, cover, settings, store=self.store))
        except Exception as exc:
            reason = str(exc) if isinstance(exc, EdossierError) else f"内部错误（{type(exc).__name__}）"
            if not isinstance(exc, EdossierError):
                log.exception("binding filing %s failed", filing_id)
            self.records.change_filing(filing_id, ("accepting",), clerk, state="failed", reason=reason)
            self.audit.append(clerk, "filing_failed", case, detail={"filing": filing_id, "reason": reason})
            return
        self.accounts.admit(filing.filer, (summary.case,))
        self.records.change_filing(filing_id, ("accepting",), clerk, state="accepted", version=summary.version)
        self.audit.append(clerk, "filing_accepted", summary.case, {"dossier.pdf": summary.pdf_sha256},
                          {"filing": filing_id, "version": summary.version, "filer_admitted": filing.filer})
        shutil.rmtree(self.folder / "filings" / filing_id, ignore_errors=True)  # the store holds the originals now
        _notify(self.on_published, CaseNumber.parse(summary.case))

    def reject(self, user: User, filing_id: str, reason: str) -> Filing:
        """Send the filing back with REASON (补正); nothing was published, the filer may resubmit."""
        _clerk_only(user)
        self.filing_for(user, filing_id)
        if not reason.strip():
            raise CaseworkError("请写明退回理由")
        try:
            filing = self.records.change_filing(filing_id, ("pending", "failed"), user.name, state="rejected",
                                                reason=reason.strip(), case=None)
        except StateError as exc:
            raise CaseworkError(f"立案申请处于“{STATE_NAMES[exc.state]}”状态，不能退回", 409) from None
        self.audit.append(user.name, "filing_rejected", None, detail={"filing": filing_id, "reason": filing.reason})
        return filing

    # --- e键送达 ---------------------------------------------------------------------

    def serve(self, user: User, case_text: str, recipient: str, *, document: int | None = None,
              upload: Upload | None = None, doc_type: str | None = None, title: str | None = None) -> Service:
        """Send a document of the case (by its number in the 正卷 catalogue) or a new upload to RECIPIENT."""
        _clerk_only(user)
        case = CaseNumber.parse(case_text)
        if not latest_version(self.store, case):
            raise NotFoundError(f"案件 {case_text} 不存在")
        try:
            party = self.accounts.user(recipient)
        except NotFoundError:
            party = None
        if party is None or party.role not in FILER_ROLES or case.key not in party.cases:
            raise CaseworkError("受送达人须为本案已登记的当事人或律师账户")
        if (document is None) == (upload is None):
            raise CaseworkError("请选择卷宗中的一份文书，或上传一份新文书")
        service_id = secrets.token_hex(8)
        if upload is not None:
            if doc_type not in declarable_types(user):
                raise CaseworkError("请选择新文书的类型（如传票）")
            path = receive_uploads([upload], self.folder / "service" / service_id, self.settings.web)[0]
            served = Service(id=service_id, case=case.normalized, recipient=recipient, served_by=user.name,
                             title=(title or stem(upload.filename)).strip()[:80], doc_type=doc_type or "",
                             sha256=sha256_file(path), origin="upload", file=path.name)
        else:
            doc, key = self._dossier_document(case, document or 0)
            served = Service(id=service_id, case=case.normalized, recipient=recipient, served_by=user.name,
                             title=doc.title, doc_type=doc.classification.type, sha256=doc.source_sha256,
                             origin="dossier", file=key)
        self.records.add_service(served)
        self.audit.append(user.name, "service_sent", case.normalized, {served.title: served.sha256},
                          {"service": service_id, "recipient": recipient, "origin": served.origin})
        return served

    def _dossier_document(self, case: CaseNumber, number: int) -> tuple[Document, str]:
        """The NUMBERth document of the latest version's 正卷 and the store key of its original."""
        manifest = read_manifest(self.store, case)
        main = [Document.model_validate(d) for d in manifest.documents if d.get("volume", "main") == "main"]
        if not 1 <= number <= len(main):
            raise CaseworkError(f"正卷中没有第 {number} 份文书")
        doc = main[number - 1]
        original = manifest.original(doc.source_sha256)
        if original is None:
            raise NotFoundError(f"案件 {case} 的清单中没有《{doc.title}》的原件")
        return doc, original.key

    def inbox(self, user: User) -> list[Service]:
        return self.records.services(recipient=user.name)

    def open_served(self, user: User, service_id: str) -> Service:
        """The recipient opens a served document: the first opening is delivery, and its receipt is bound."""
        service = self._own_service(user, service_id)
        if service.state != "sent":
            return service
        try:
            service = self.records.change_service(service_id, ("sent",), state="delivered", delivered=time.time())
        except StateError:
            return self.records.service(service_id)  # opened twice at once: the first opening counts
        self.audit.append(user.name, "service_delivered", service.case, {service.title: service.sha256},
                          {"service": service_id})
        self._later(self._bind_receipt, service_id)
        return self.records.service(service_id)

    def served_file(self, user: User, service_id: str) -> tuple[Service, Path]:
        """The served file, to the recipient once delivered (opened), checked against its hash."""
        service = self._own_service(user, service_id)
        if service.state == "sent":
            raise CaseworkError("请先打开送达文书", 409)
        if service.origin == "upload":
            path = self.folder / "service" / service.id / service.file
        else:
            path = fetch_checked(self.store, service.file, service.sha256, self.folder / "cache" / "served")
        self.audit.append(user.name, "service_downloaded", service.case, {service.title: service.sha256},
                          {"service": service_id})
        return service, path

    def _own_service(self, user: User, service_id: str) -> Service:
        try:
            service = self.records.service(service_id)
        except NotFoundError:
            raise NotFoundError("没有此送达记录") from None
        if service.recipient != user.name:
            raise NotFoundError("没有此送达记录")
        return service

    def services(self, user: User, *, case: str | None = None, undelivered: bool = False) -> list[Service]:
        """Court staff: what was served, newest first; UNDELIVERED keeps those not yet opened."""
        if not user.court:
            raise CaseworkError("送达记录仅供法院工作人员查看", 403)
        key = CaseNumber.parse(case).normalized if case else None
        return self.records.services(case=key, states=("sent",) if undelivered else None)

    def _court(self, case: str) -> str:
        """The court a case was filed with online; blank (the receipt prints 人民法院) for other cases."""
        return next((f.court for f in self.records.filings(states=("accepted",)) if f.case == case), "")

    def _bind_receipt(self, service_id: str) -> None:
        service = self.records.service(service_id)
        assert service.delivered is not None
        recipient = self.accounts.user(service.recipient)
        receipt = ServiceReceipt(
            court=self.settings.bind.court or self._court(service.case), case=service.case,
            document=service.title, doc_type=service.doc_type,
            recipient=f"{recipient.name}（{ROLE_NAMES.get(recipient.role, recipient.role)}）",
            served_by=service.served_by, sent=court_time(service.created), delivered=court_time(service.delivered),
            sha256=service.sha256, service_id=service.id)
        folder = self.folder / "service" / service.id
        folder.mkdir(parents=True, exist_ok=True)
        served = (Material(path=folder / service.file, declared_type=service.doc_type, title=service.title)
                  if service.origin == "upload" else None)
        settings = self.settings.model_copy(update={"user": service.served_by})
        try:
            summary = publish_retrying(lambda: bind_receipt(receipt, folder / "送达回证.pdf", settings, served=served,
                                                     store=self.store))
        except Exception as exc:
            reason = str(exc) if isinstance(exc, EdossierError) else f"内部错误（{type(exc).__name__}）"
            if not isinstance(exc, EdossierError):
                log.exception("binding the receipt of service %s failed", service_id)
            self.records.change_service(service_id, ("delivered",), state="failed", reason=reason)
            self.audit.append(service.served_by, "service_receipt_failed", service.case,
                              detail={"service": service_id, "reason": reason})
            return
        self.records.change_service(service_id, ("delivered",), state="receipted", version=summary.version)
        self.audit.append(service.served_by, "service_receipt_bound", service.case,
                          {"dossier.pdf": summary.pdf_sha256, service.title: service.sha256},
                          {"service": service_id, "version": summary.version, "type": RECEIPT_TYPE})
        _notify(self.on_published, CaseNumber.parse(service.case))


    # --- 在线审批 ---------------------------------------------------------------------

    def approve(self, user: User, case_text: str, subject: str, request: str, decision: str,
                opinion: str) -> DossierVersion:
        """A judge's approval, bound at once into the case's 副卷 as a signed 审批表; audited."""
        if user.role != "judge":
            raise CaseworkError("只有法官可以在线审批", 403)
        if not subject.strip() or not request.strip():
            raise CaseworkError("请填写审批事项与申请事由")
        if decision not in DECISIONS:
            raise CaseworkError(f"审批结果应为{'或'.join(DECISIONS)}")
        case = CaseNumber.parse(case_text)
        if not latest_version(self.store, case):
            raise NotFoundError(f"案件 {case_text} 不存在")
        approval_id = secrets.token_hex(8)
        record = ApprovalRecord(
            court=self.settings.bind.court or self._court(case.normalized), case=case.normalized,
            subject=subject.strip(), request=request.strip(), decision=decision, opinion=opinion.strip(),
            approver=f"{user.name}（{ROLE_NAMES[user.role]}）", approved=court_time(time.time()))
        folder = self.folder / "approvals" / approval_id
        folder.mkdir(parents=True, exist_ok=True)
        settings = self.settings.model_copy(update={"user": user.name})
        try:
            summary = publish_retrying(lambda: bind_approval(record, folder / "审批表.pdf", settings, store=self.store))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        volume = next(o for o in read_manifest(self.store, case, summary.version).objects
                      if o.role == "dossier_secondary")
        self.audit.append(user.name, "approval_recorded", case.normalized, {"dossier-secondary.pdf": volume.sha256},
                          {"approval": approval_id, "subject": record.subject, "decision": decision,
                           "version": summary.version, "type": APPROVAL_TYPE})
        _notify(self.on_published, case)
        return summary


STATE_NAMES = {"pending": "待审查", "accepting": "立案中", "accepted": "已立案", "rejected": "已退回补正",
               "failed": "立案失败", "sent": "未送达", "delivered": "已送达", "receipted": "已送达（回证已入卷）"}


def _objects(kept: Sequence[KeptFile]) -> dict[str, str]:
    """Audit objects of kept files: each by its place and the name it came with (names may repeat)."""
    return {f"{k.file}（{k.name}）": k.sha256 for k in kept}


def _clerk_only(user: User) -> None:
    if user.role != "clerk":
        raise CaseworkError("只有书记员可以办理立案与送达", 403)


def _notify(on_published: Callable[[CaseNumber], object], case: CaseNumber) -> None:
    try:
        on_published(case)
    except Exception:  # the search index catches up on its next sync
        log.exception("indexing %s failed", case)
