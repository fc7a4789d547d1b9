"""One page numbering from binding to the reader, on a dossier grown over three versions with a 副卷.

For every catalogue entry and for search hits, the page the reader names is read
out of the served PDF with PyMuPDF: the archive number printed at its top right
must be that page number, and the text on it must be the document's.  The served
volumes are the stored, signed files: each passes ``edossier verify``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pymupdf
import pytest
from fastapi.testclient import TestClient

from edossier.casenumber import CaseNumber
from edossier.errors import IntegrityError
from edossier.pipeline.cli import main as cli
from edossier.storage import open_store
from edossier.storage.manifest import Manifest, ManifestEntry, read_manifest
from edossier.web.app import create_app
from edossier.web.search_index import fold
from edossier.web.volumes import volume_names, volume_of
from tests.web.test_api import signed_in
from tests.web.web_dossiers import CASE_A, CASE_A_VERSIONS, CASE_B, WebEnv

A = quote(CASE_A)
# by catalogue title: the declared one, or the title line the classifier found
PAPERS = {title or pages[0].splitlines()[0]: pages for version in CASE_A_VERSIONS for _, pages, _, title in version}
# phrases a judge searches for, each on one page of one volume
QUERIES = ("借款本金", "开庭审理", "评议内容", "报请合议庭", "特别授权", "合法的借贷关系")


def printed_number(page: pymupdf.Page) -> str:
    """The archive page number stamped at the top right of PAGE (bind/front_matter.stamp_page_number)."""
    band = pymupdf.Rect(page.rect.width - 120, 0, page.rect.width, 36)
    return page.get_text("text", clip=band).strip()


@pytest.fixture(scope="module")
def judge(web_env: WebEnv) -> Iterator[TestClient]:
    with TestClient(create_app(web_env.settings)) as client:
        yield signed_in(client, "judge1")


def served(client: TestClient, version: int, volume: str, tmp: Path) -> tuple[dict, Path]:
    info = client.get(f"/api/cases/{A}/versions/{version}/volumes/{volume}")
    assert info.status_code == 200, info.text
    pdf = tmp / f"v{version}-{volume}.pdf"
    pdf.write_bytes(client.get(info.json()["pdf"]).content)
    return info.json(), pdf


@pytest.mark.parametrize("version", range(1, len(CASE_A_VERSIONS) + 1))
def test_every_catalogue_entry_lands_on_its_printed_page(judge: TestClient, version: int, tmp_path: Path) -> None:
    volumes = judge.get(f"/api/cases/{A}/versions").json()[version - 1]["volumes"]
    assert volumes == (["main"] if version == 1 else ["main", "secondary"])
    for volume in volumes:
        info, pdf = served(judge, version, volume, tmp_path)
        with pymupdf.open(pdf) as doc:
            assert info["pages"] == doc.page_count
            assert [printed_number(page) for page in doc] == [str(n) for n in range(1, doc.page_count + 1)]
            assert ("正卷" if volume == "main" else "副卷") in doc[0].get_text()  # its own cover
            catalogues = "".join(doc[n - 1].get_text() for _, title, n in doc.get_toc() if "卷内目录" in title)
            for entry in info["documents"]:
                pages = PAPERS[entry["title"]]
                assert entry["last_page"] - entry["first_page"] + 1 == len(pages)
                for offset, text in enumerate(pages):
                    page = doc[entry["first_page"] + offset - 1]
                    assert fold(text.splitlines()[-1]) in fold(page.get_text()), (volume, entry, offset)
                span = str(entry["first_page"]) if len(pages) == 1 else f"{entry['first_page']}-{entry['last_page']}"
                assert span in catalogues, (entry, "the printed catalogue gives other pages")
            last_sheet = doc[doc.page_count - 1].get_text()
            assert "备" in last_sheet and f"第{version}版" in last_sheet.replace(" ", "")


def test_search_hits_and_highlights_land_on_their_printed_page(judge: TestClient, tmp_path: Path) -> None:
    version = len(CASE_A_VERSIONS)
    pdfs = {volume: served(judge, version, volume, tmp_path)[1] for volume in ("main", "secondary")}
    seen = set()
    for query in QUERIES:
        hits = judge.get("/api/search", params={"q": query, "case": CASE_A}).json()["hits"]
        assert hits, query
        for hit in hits:
            assert hit["version"] == version
            with pymupdf.open(pdfs[hit["volume"]]) as doc:
                page = doc[hit["page"] - 1]
                assert printed_number(page) == str(hit["page"])
                assert fold(query) in fold(page.get_text()), (query, hit)
            marks = judge.get(f"/api/cases/{A}/versions/{version}/volumes/{hit['volume']}/pages/{hit['page']}"
                              f"/highlights", params={"q": query}).json()
            assert marks["rects"], (query, hit)
            seen.add(hit["volume"])
    assert seen == {"main", "secondary"}


def test_served_volumes_are_the_stored_signed_files_and_verify(
    judge: TestClient, web_env: WebEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDOSSIER_DATA_DIR", str(web_env.settings.data_dir))
    version = len(CASE_A_VERSIONS)
    for volume in ("main", "secondary"):
        info, pdf = served(judge, version, volume, tmp_path)
        downloaded = judge.get(info["download"]).content
        trust = judge.get(info["trust"]).json()
        assert downloaded == pdf.read_bytes()
        assert trust["valid"] and trust["fixity"]["sha256"] == hashlib.sha256(downloaded).hexdigest()
        assert len(trust["signature"]["signatures"]) == (version if volume == "main" else version - 1)
        assert cli(["verify", str(pdf)]) == 0, volume


def test_a_single_volume_manifest_reads_as_before(judge: TestClient, web_env: WebEnv) -> None:
    """Case B was bound with its 正卷 only, under the one ``dossier`` role every earlier version used."""
    main = judge.get(f"/api/cases/{quote(CASE_B)}/versions/1/volumes/main").json()
    assert [(d["title"], d["first_page"]) for d in main["documents"]] == [("民事起诉状", 3)]
    assert main["pages"] == 4
    assert judge.get(f"/api/cases/{quote(CASE_B)}/versions/1/volumes/secondary").status_code == 404
    # manifests written before the volumes' page counts were recorded: the count follows from the catalogue
    for case, version in ((CASE_B, 1), (CASE_A, 1), (CASE_A, len(CASE_A_VERSIONS))):
        manifest = read_manifest(open_store(web_env.settings.store_uri), CaseNumber.parse(case), version)
        older = manifest.model_copy(update={"provenance": {"bound_by": "clerk1"}})
        for name in volume_names(manifest):
            assert volume_of(older, name).page_count == volume_of(manifest, name).page_count


def test_a_volume_is_never_cut_out_of_another(judge: TestClient, web_env: WebEnv) -> None:
    """A manifest whose 副卷 documents have no 副卷 PDF of their own is refused, not served as a cut."""
    manifest = read_manifest(open_store(web_env.settings.store_uri), CaseNumber.parse(CASE_A))
    merged = Manifest.model_validate({
        **manifest.model_dump(),
        "objects": [ManifestEntry.model_validate(o.model_dump()) for o in manifest.objects
                    if o.role != "dossier_secondary"],
    })
    for volume in ("main", "secondary"):
        with pytest.raises(IntegrityError):
            volume_of(merged, volume)
