"""Fixity: prove, long after storing, that every byte is what was sealed.

Every stored object of a case is re-read and re-hashed, trusting no recorded
value: the hash is compared with what the store recorded at sealing and with
what each version's manifest lists, and the manifests are checked as a chain.
Objects left by an interrupted publish (in no manifest) are checked too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from edossier.casenumber import CaseNumber
from edossier.errors import NotFoundError
from edossier.storage.layout import CASES, case_prefix, manifest_key
from edossier.storage.manifest import Manifest, list_cases, published_versions
from edossier.storage.store import Store


@dataclass(frozen=True)
class FixityProblem:
    key: str
    problem: str


@dataclass
class FixityReport:
    case: str
    versions: list[int]
    objects_checked: int = 0
    unreferenced: int = 0
    problems: list[FixityProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, object]:
        return {
            "case": self.case,
            "ok": self.ok,
            "versions": self.versions,
            "objects_checked": self.objects_checked,
            "unreferenced": self.unreferenced,
            "problems": [{"key": p.key, "problem": p.problem} for p in self.problems],
        }


def check_case(store: Store, case: CaseNumber) -> FixityReport:
    versions = published_versions(store, case)
    if not versions:
        raise NotFoundError(f"case {case}: no version in {store.uri}")
    report = FixityReport(case=case.normalized, versions=versions)
    actual: dict[str, str | None] = {}

    def rehash(key: str) -> str | None:
        """The real hash of KEY, once; None (and a problem) when absent or unreadable."""
        if key not in actual:
            info = store.info(key)
            if info is None:
                report.problems.append(FixityProblem(key, "missing"))
                actual[key] = None
            else:
                actual[key] = store.stored_sha256(key)
                report.objects_checked += 1
                if actual[key] != info.sha256:
                    report.problems.append(
                        FixityProblem(key, f"sha256 {actual[key]} differs from {info.sha256} recorded when sealed")
                    )
        return actual[key]

    referenced: set[str] = set()
    previous_hash: str | None = None
    for number in range(1, (versions[-1] if versions else 0) + 1):
        key = manifest_key(case, number)
        referenced.add(key)
        this_hash = rehash(key)
        if this_hash is not None:
            manifest = _parse(store, key, report)
            if manifest is not None:
                if number > 1 and manifest.previous_manifest_sha256 != previous_hash:
                    report.problems.append(FixityProblem(key, "does not chain to the previous version's manifest"))
                for entry in manifest.objects:
                    referenced.add(entry.key)
                    digest = rehash(entry.key)
                    if digest is not None and digest != entry.sha256:
                        report.problems.append(
                            FixityProblem(entry.key, f"sha256 {digest} differs from {entry.sha256} in {key}")
                        )
                    info = store.info(entry.key)
                    if info is not None and info.size != entry.size:
                        report.problems.append(
                            FixityProblem(entry.key, f"size {info.size} differs from {entry.size} in {key}")
                        )
        previous_hash = this_hash
    for key in store.list(f"{case_prefix(case)}/"):
        if key not in referenced:
            report.unreferenced += 1
            rehash(key)
    return report


def orphans(store: Store, case: CaseNumber | None = None) -> list[str]:
    """Keys of a case's (or every case's) stored objects that no version's manifest names.

    A write-once store keeps such objects for their whole retention, so they are
    worth finding: an interrupted publish, or intake for a case that then failed,
    leaves them.  A clerk's corrections (``corrections/``) are records of their
    own, listed by ``edossier relabel``'s store, not versions, and are not counted.
    """
    cases = [case] if case is not None else [CaseNumber.parse(c) for c in _stored_cases(store)]
    found: list[str] = []
    for number in cases:
        named: set[str] = set()
        for version in published_versions(store, number):
            key = manifest_key(number, version)
            named.add(key)
            named.update(entry.key for entry in Manifest.model_validate_json(store.get_bytes(key)).objects)
        corrections = f"{case_prefix(number)}/corrections/"
        found.extend(k for k in store.list(f"{case_prefix(number)}/") if k not in named and not k.startswith(corrections))
    return found


def _stored_cases(store: Store) -> list[str]:
    """Every case with any object, published or not (``list_cases`` lists only those with a version)."""
    return sorted({key.split("/")[1] for key in store.list(f"{CASES}/") if key.count("/") >= 2})


def check_all(store: Store) -> list[FixityReport]:
    return [check_case(store, CaseNumber.parse(case)) for case in list_cases(store)]


def _parse(store: Store, key: str, report: FixityReport) -> Manifest | None:
    """The manifest at KEY, read raw (a damaged one is reported, not raised)."""
    with store.open_raw(key) as src:
        body = src.read()
    try:
        return Manifest.model_validate_json(body)
    except ValueError as exc:
        report.problems.append(FixityProblem(key, f"unreadable manifest: {str(exc).splitlines()[0]}"))
        return None

