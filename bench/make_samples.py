"""Make the bundled sample scans in samples/ from the labelled corpus (run once; output committed).

    python -m bench.make_samples ../shared/corpus samples

Three documents of one civil case, in three input formats a filing window sees:
a multi-page greyscale TIFF, a colour JPEG with a red seal, and a scanned PDF.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pymupdf

from bench.pagegen import render_pages

SAMPLES = (
    ("docs/起诉状/td_susong23_example.txt", "01-complaint.tif", None),
    ("docs/授权委托书/td_xinshiws05.txt", "02-power-of-attorney.jpg", "浙江某某律师事务所"),
    ("docs/判决书/wenshu_pj_363ec2f6.txt", "03-judgment.pdf", "浙江省诸暨市人民法院"),
)


def split_title(text: str) -> tuple[str, str]:
    lines = [line for line in text.splitlines() if line.strip()]
    # Judgments open with the court's name, then the title line.
    if len(lines) > 1 and lines[0].endswith("法院") and len(lines[1]) <= 12:
        return lines[0].strip() + "\n" + lines[1].strip(), "\n".join(lines[2:])
    return lines[0].strip(), "\n".join(lines[1:])


def make(corpus: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for seed, (rel, name, seal) in enumerate(SAMPLES):
        text = (corpus / rel).read_text("utf-8")
        title, body = split_title(text)
        heading, _, title_line = title.rpartition("\n")
        body = f"{heading}\n{body}" if heading else body
        pages = render_pages(title_line, body, seal_text=seal, seed=seed)
        target = out / name
        if name.endswith(".tif"):
            grey = [p.image.convert("L") for p in pages]
            grey[0].save(target, save_all=True, append_images=grey[1:], compression="tiff_lzw", dpi=(300, 300))
        elif name.endswith(".jpg"):
            pages[0].image.save(target, quality=85, dpi=(300, 300))
        else:
            pdf = pymupdf.open()
            for page in pages:
                buffer = io.BytesIO()
                page.image.convert("L").save(buffer, format="JPEG", quality=70)
                new = pdf.new_page(width=595.28, height=841.89)
                new.insert_image(new.rect, stream=buffer.getvalue())
            pdf.save(target, garbage=3, deflate=True)
        (out / f"{Path(name).stem}.gt.txt").write_text(
            "\n\n".join(p.text for p in pages) + "\n", encoding="utf-8"
        )
        print(f"{target}: {len(pages)} page(s)")


if __name__ == "__main__":
    make(Path(sys.argv[1]), Path(sys.argv[2]))
