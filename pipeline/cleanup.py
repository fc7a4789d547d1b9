"""``edossier cleanup``'s job: read one input, clean every page, write the results to a folder."""

from __future__ import annotations

import shutil
from pathlib import Path

from edossier.config import Settings
from edossier.ingest.cleanup import applied_turn
from edossier.pipeline.steps import Material, read_material


def clean_file(path: Path, settings: Settings, out_dir: Path, password: str | None = None) -> list[dict[str, object]]:
    """Clean PATH's pages into OUT_DIR (kept image and recognition image per page); one row per page.

    Born-digital PDF pages are not images and are listed with no output.
    """
    work_dir = settings.work_dir
    work_dir.mkdir(parents=True, exist_ok=True)
    _, pages = read_material(Material(path=path), settings, work_dir, password)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, object]] = []
    for page in pages:
        number = page.index + 1
        rotation, skew = applied_turn(page)
        output = recognition = None
        if page.image is not None:
            output = out_dir / f"{path.stem}-p{number:04d}.png"
            shutil.copyfile(page.image, output)
        if page.recognition_image is not None and page.recognition_image != page.image:
            recognition = out_dir / f"{path.stem}-p{number:04d}.recognition.png"
            shutil.copyfile(page.recognition_image, recognition)
        rows.append(
            {
                "page": number,
                "rotation": rotation,
                "skew_degrees": skew,
                "blank": "blank_page" in page.flags,
                "output": str(output) if output else None,
                "recognition": str(recognition) if recognition else None,
                "flags": list(page.flags),
            }
        )
    return rows
