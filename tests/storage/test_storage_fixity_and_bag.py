"""fixity finds a flipped byte wherever it is; export-bag hands over a bag bagit validates; the CLI says so."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import bagit
import pytest
from tests.storage.storage_helpers import publish_version, unique_case

from edossier.casenumber import CaseNumber
from edossier.config import StorageSettings
from edossier.errors import NotFoundError
from edossier.pipeline.cli import main
from edossier.storage import Store, file_sha256, open_store
from edossier.storage.bag import export_bag
from edossier.storage.fixity import check_case, orphans
from edossier.storage.manifest import read_manifest

CASE = CaseNumber.parse("（2020）浙0102民初1234号")


@pytest.fixture(scope="module")
def two_versions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding two published versions and one orphan of an interrupted publish."""
    root = tmp_path_factory.mktemp("fixity") / "store"
    store = open_store(root.as_uri())
    work = root.parent
    publish_version(store, CASE, 1, work)
    publish_version(store, CASE, 2, work)
    store.put_bytes(f"cases/{CASE.key}/dossiers/orphan.pdf", b"%PDF-1.7 interrupted publish")
    return root


def _every_file(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def _flip(path: Path) -> None:
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def test_fixity_passes_on_an_intact_store(two_versions: Path) -> None:
    report = check_case(open_store(two_versions.as_uri()), CASE)
    assert report.ok, report.problems
    assert report.versions == [1, 2] and report.unreferenced == 1
    assert report.objects_checked == 7  # 2 manifests, original, ocr, 2 dossiers and the orphan
    assert report.objects_checked == len([f for f in _every_file(two_versions) if "/." not in f])


def test_fixity_detects_a_flipped_byte_in_any_stored_file(two_versions: Path, tmp_path: Path) -> None:
    files = _every_file(two_versions)
    assert len(files) == 14  # 7 objects and their recorded hashes
    for name in files:
        copy = tmp_path / name.replace("/", "_")
        shutil.copytree(two_versions, copy)
        _flip(copy / name)
        report = check_case(open_store(copy.as_uri()), CASE)
        assert not report.ok, f"a flipped byte in {name} went unnoticed"
        damaged = name.replace("/.", "/").removesuffix(".sha256")
        assert damaged in {p.key for p in report.problems}, (name, report.problems)


def test_fixity_reports_a_missing_object(two_versions: Path, tmp_path: Path) -> None:
    copy = tmp_path / "store"
    shutil.copytree(two_versions, copy)
    original = next(p for p in (copy / "cases" / CASE.key / "originals").iterdir() if not p.name.startswith("."))
    original.unlink()
    report = check_case(open_store(copy.as_uri()), CASE)
    key = original.relative_to(copy).as_posix()
    assert any(p.key == key and p.problem == "missing" for p in report.problems)


def test_export_bag_validates_and_matches_the_store(two_versions: Path, tmp_path: Path) -> None:
    store = open_store(two_versions.as_uri())
    export_bag(store, CASE, tmp_path / "bag")
    bag = bagit.Bag(str(tmp_path / "bag"))
    bag.validate()
    assert bag.info["External-Identifier"] == CASE.normalized
    assert len(bag.payload_entries()) == 6  # the orphan is in no version, so not handed over
    assert (tmp_path / "bag/data/versions/000002/manifest.json").read_bytes() == store.get_bytes(
        f"cases/{CASE.key}/versions/000002/manifest.json"
    )


def test_export_bag_from_s3(s3_store: Store, tmp_path: Path) -> None:
    case = unique_case()
    publish_version(s3_store, case, 1, tmp_path)
    export_bag(s3_store, case, tmp_path / "bag")
    bagit.Bag(str(tmp_path / "bag")).validate()
    assert check_case(s3_store, case).ok


def test_export_bag_refuses_a_folder_in_use_and_an_unknown_case(two_versions: Path, tmp_path: Path) -> None:
    store = open_store(two_versions.as_uri())
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x").write_text("x")
    with pytest.raises(Exception, match="not an empty folder"):
        export_bag(store, CASE, tmp_path / "used")
    with pytest.raises(NotFoundError):
        export_bag(store, CaseNumber.parse("（2020）浙0102民初9号"), tmp_path / "bag")


def test_cli_fixity_get_and_export_bag(two_versions: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    copy = tmp_path / "store"
    shutil.copytree(two_versions, copy)
    uri = copy.as_uri()
    assert main(["fixity", CASE.normalized, "--store", uri]) == 0
    assert "OK" in capsys.readouterr().out
    assert main(["fixity", "--all", "--store", uri, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["ok"] is True
    assert main(["get", "(2020)浙0102民初1234号", "--version", "1", "-o", str(tmp_path / "v1.pdf"), "--store", uri]) == 0
    store = open_store(uri)
    assert (tmp_path / "v1.pdf").read_bytes() == store.get_bytes(read_manifest(store, CASE, 1).dossier.key)
    assert main(["export-bag", CASE.normalized, "-o", str(tmp_path / "bag"), "--store", uri]) == 0
    bagit.Bag(str(tmp_path / "bag")).validate()

    _flip(copy / read_manifest(store, CASE, 1).dossier.key)
    capsys.readouterr()
    assert main(["fixity", "--all", "--store", uri, "--json"]) == 12
    problems = json.loads(capsys.readouterr().out)[0]["problems"]
    assert problems and all("/dossier-" in p["key"] for p in problems)
    assert main(["get", CASE.normalized, "--version", "1", "-o", str(tmp_path / "bad.pdf"), "--store", uri]) == 12
    assert not (tmp_path / "bad.pdf").exists()


def test_cli_reports_an_unreachable_server(capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDOSSIER_STORAGE__ACCESS_KEY", "k")
    monkeypatch.setenv("EDOSSIER_STORAGE__SECRET_KEY", "s")
    monkeypatch.setenv("EDOSSIER_STORAGE__RETRIES", "1")
    monkeypatch.setenv("EDOSSIER_STORAGE__RETRY_BACKOFF_S", "0.05")
    assert main(["list", "--store", "s3://edossier?endpoint=http://127.0.0.1:9"]) == 7
    err = capsys.readouterr().err
    assert "unreachable" in err and "rerun" in err and len(err.strip().splitlines()) == 1


def test_cli_lists_and_gets_from_s3(
    s3_store: Store, s3_settings: StorageSettings, tmp_path: Path, capsys: pytest.CaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Credentials come from the environment, never the command line."""
    case = unique_case()
    manifest = publish_version(s3_store, case, 1, tmp_path)
    monkeypatch.setenv("EDOSSIER_STORAGE__ACCESS_KEY", s3_settings.access_key or "")
    monkeypatch.setenv("EDOSSIER_STORAGE__SECRET_KEY", s3_settings.secret_key.get_secret_value())  # type: ignore[union-attr]
    uri = s3_store.uri
    assert main(["list", "--json", "--store", uri]) == 0
    assert case.key in {row["case"] for row in json.loads(capsys.readouterr().out)}
    assert main(["get", case.normalized, "-o", str(tmp_path / "got.pdf"), "--store", uri]) == 0
    assert (tmp_path / "got.pdf").read_bytes() == (tmp_path / "v1.pdf").read_bytes()
    assert manifest.dossier.sha256 == file_sha256(tmp_path / "got.pdf")
    assert main(["fixity", case.normalized, "--store", uri]) == 0


def test_orphans_lists_what_no_manifest_names(two_versions: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """The interrupted publish's object is the one orphan; a later correction is not one; the CLI lists it."""
    copy = tmp_path / "store"
    shutil.copytree(two_versions, copy)
    store = open_store(copy.as_uri())
    store.put_bytes(f"cases/{CASE.key}/corrections/20240101T000000Z-{'a' * 64}.json", b"{}")
    store.put_bytes("cases/（2020）浙0102民初9号/originals/never-published.pdf", b"%PDF-1.7 intake, case then failed")
    assert orphans(store, CASE) == [f"cases/{CASE.key}/dossiers/orphan.pdf"]
    assert orphans(store) == [f"cases/{CASE.key}/dossiers/orphan.pdf",
                              "cases/（2020）浙0102民初9号/originals/never-published.pdf"]
    assert main(["fixity", "--orphans", "--json", "--store", copy.as_uri()]) == 0
    assert json.loads(capsys.readouterr().out) == orphans(store)
