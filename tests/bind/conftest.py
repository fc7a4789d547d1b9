"""Session fixtures for the binding tests: sample documents, the development key, a bound dossier."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.bind.bind_samples import CASE, born_digital_document, raster_document, spec_for

from edossier.bind.assemble import DossierMetadata, assemble
from edossier.bind.devcert import ensure_dev_key
from edossier.bind.sign import seal_version
from edossier.config import BindSettings
from edossier.types import Document
from tests.pki import pki  # noqa: F401 - the test PKI fixture


@pytest.fixture(scope="session")
def sample_documents(tmp_path_factory: pytest.TempPathFactory) -> list[Document]:
    folder = tmp_path_factory.mktemp("pages")
    return [
        raster_document(folder, "complaint", "民事起诉状", "起诉状"),
        raster_document(folder, "power", "授权委托书", "授权委托书", seal="浙江天平律师事务所"),
        born_digital_document(folder, "notice", "受理案件通知书", "通知书"),
    ]


@pytest.fixture(scope="session")
def dev_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return ensure_dev_key(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="session")
def bound(tmp_path_factory: pytest.TempPathFactory, sample_documents: list[Document], dev_key) -> dict:  # type: ignore[no-untyped-def]
    """A signed first version of the sample documents."""
    folder = tmp_path_factory.mktemp("bound")
    meta = DossierMetadata(case=CASE, version=1, bound_by="书记员王五", court="杭州市上城区人民法院")
    addition = assemble(sample_documents, folder / "unsigned.pdf", meta, BindSettings(jobs=2))
    seal_version(folder / "unsigned.pdf", folder / "dossier.pdf", spec_for(dev_key[0], 1), meta, addition.bookmarks)
    return {"pdf": folder / "dossier.pdf", "unsigned": folder / "unsigned.pdf", "addition": addition, "meta": meta}

