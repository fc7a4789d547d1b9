"""Real third-party material: a dev set to choose settings on, a test set to report, RapidOCR beside us.

    python -m bench.real                        # test set at the shipped settings, with RapidOCR out of the box
    python -m bench.real --set dev --margins 0,0.15,0.3,0.45,0.6

The pages the project renders are one set among several, not the tuning ground.
Here every image is someone else's: scans with ground truth from Tesseract's test
data, line and word images from RapidOCR's and PaddleOCR's test and doc images,
and text lines cut out of photos (boxes below; the expected texts were
transcribed by eye).  Files: tests/data/shared-samples (ATTRIBUTION.md there).

``dev`` is what settings are chosen on (``ocr.rec_margin`` and the like);
``test`` is only reported.  Each image goes through what ``edossier ocr`` does
(reading, cleanup, OCR with its fallbacks) and through RapidOCR's own pipeline
with its defaults.  Lines are scored by character error rate (bench/ocr.py's
normalisation); pages also by the bag-of-characters error (characters missing
or extra whatever their order, as UNLV's tools count).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import cv2

from bench.ocr import cer, normalise

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "tests" / "data" / "shared-samples"

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class Item:
    """One image (a file, or a line cut from it by BOX) and what it says."""

    file: str
    truth: str
    box: Box | None = None
    page: bool = False

    @property
    def name(self) -> str:
        file, _, page = self.file.partition("#")
        stem = Path(file).stem + (f"-p{page}" if page else "")
        return f"{stem}@{self.box[1]}" if self.box else stem


def _lines(file: str, lines: list[tuple[Box, str]]) -> list[Item]:
    return [Item(file, truth, box) for box, truth in lines]


RECIPE = """Linzensoep à la Waterman
4 ons linzen
3 liter water
3 uien
bloem, boter
2 kopjes melk
laurier, kruidnagel, kerrie, zout
De linzen wassen en in 1 liter kokend wa-
ter 1 dag laten weken. 2 liter water bij
de linzen voegen, zonder het water waarin
ze geweekt zijn af te gieten. De helft van
de uien bakken met laurier en kruidnagel.
Alle uien, kerrie en zout bij de linzen
voegen. Alles aan de kook brengen. Van de
bloem met boter en melk een papje maken en
verder afmaken met de soep. Als de linzen
gaar zijn is de soep klaar."""
"""3small.pdf's third page, a typewritten recipe scan (like OCRmyPDF's linn scans), transcribed by eye."""

DEV = [
    Item("tesseract/eurotext.tif", (SAMPLES / "tesseract" / "eurotext.txt").read_text("utf-8"), page=True),
    Item("ocrmypdf/3small.pdf#1", "Covfefe is a perfectly cromulent word."),  # a 2 x 0.25 inch page
    *_lines(
        "paddleocr/product_spec_11.jpg",
        [
            ((22, 32, 308, 75), "纯臻营养护发素"),
            ((22, 77, 177, 106), "产品信息/参数"),
            ((24, 109, 335, 136), "(45元/每公斤，100公斤起订)"),
            ((24, 141, 285, 167), "每瓶22元，1000瓶起订)"),
            ((22, 174, 304, 199), "【品牌】：代加工方式/OEM ODM"),
            ((22, 205, 238, 230), "【品名】：纯臻营养护发素"),
            ((23, 269, 183, 292), "【净含量】：220ml"),
            ((22, 298, 255, 323), "【适用人群】：适合所有肤质"),
            ((22, 330, 348, 355), "【主要成分】：鲸蜡硬脂醇、燕麦β-葡聚"),
            ((22, 393, 365, 418), "【主要功能】：可紧致头发磷层，从而达到"),
            ((24, 424, 376, 449), "即时持久改善头发光泽的效果，给干燥的头"),
            ((24, 456, 139, 479), "发足够的滋养"),
        ],
    ),
    *_lines(
        "photos/paddle_12.jpg",
        [
            ((32, 384, 491, 457), "上海斯格威铂尔曼大酒店"),
            ((188, 444, 404, 492), "打浦路15号"),
            ((18, 482, 523, 557), "绿洲仕格维花园公寓"),
            ((74, 535, 462, 589), "打浦路252935号"),
        ],
    ),
]

TEST = [
    Item("tesseract/phototest.tif", (SAMPLES / "tesseract" / "phototest.txt").read_text("utf-8"), page=True),
    Item("ocrmypdf/3small.pdf#2", RECIPE, page=True),
    Item("rapidocr/text_rec.jpg", "韩国小馆"),
    Item("photos/paddle_ch_street_rec_1.png", "魅派集成吊顶"),
    Item("photos/rapid_short.png", "中国网络空间安全"),
    *_lines(
        "rapidocr/ch_en_num.jpg",
        [
            ((3, 0, 321, 100), "正品促销"),
            ((68, 93, 256, 128), "大桶装更划算"),
            ((63, 137, 260, 168), "强力去污符合国标"),
            ((99, 166, 222, 184), "-40℃深度防冻不结冰"),
            ((108, 337, 216, 358), "惊喜福利不容错过"),
            ((59, 357, 291, 387), "极速发货冰点标准"),
            ((63, 385, 292, 417), "破损就赔假一赔十"),
        ],
    ),
    *_lines(
        "photos/paddle_00207393.jpg",
        [
            ((149, 58, 452, 116), "中国农业银行"),
            ((153, 113, 450, 136), "AGRICULTURAL BANK OF CHINA"),
            ((86, 172, 331, 194), "本网点办理各类金融业务"),
        ],
    ),
]
SETS = {"dev": DEV, "test": TEST}
PAD = 2


def materialise(items: list[Item], folder: Path) -> list[Path]:
    """Each item as an image file: the sample itself, or its line cut out (with PAD pixels around) as PNG."""
    paths = []
    for item in items:
        file, _, page = item.file.partition("#")
        source = SAMPLES / file
        if page:  # a PDF page, rasterised at 300 dpi as edossier and OCRmyPDF do
            import pymupdf

            with pymupdf.open(source) as doc:
                pix = doc[int(page)].get_pixmap(dpi=300)
            pix.set_dpi(300, 300)
            paths.append(folder / f"{item.name}.png")
            pix.save(paths[-1])
            continue
        if item.box is None:
            paths.append(source)
            continue
        image = cv2.imread(str(source), cv2.IMREAD_COLOR)
        x0, y0, x1, y1 = item.box
        crop = image[max(0, y0 - PAD) : y1 + PAD, max(0, x0 - PAD) : x1 + PAD]
        target = folder / f"{item.name}.png"
        cv2.imwrite(str(target), crop)
        paths.append(target)
    return paths


def bag_error(text: str, truth: str) -> float:
    got, want = Counter(normalise(text)), Counter(normalise(truth))
    return (sum((want - got).values()) + sum((got - want).values())) / max(1, sum(want.values()))


def ours(paths: list[Path], work: Path, **ocr: object) -> tuple[list[str], float]:
    """Texts as `edossier ocr` reads them (cleanup, OCR, fallbacks), with OCR settings OCR; and seconds taken."""
    from edossier.config import load_settings
    from edossier.ocr import create_engine
    from edossier.pipeline.page_ocr import ocr_material
    from edossier.pipeline.process import Material

    settings = load_settings(data_dir=work, ocr={"jobs": 1, **ocr})
    engine = create_engine(settings.ocr)
    engine.version()  # the models are loaded before the clock starts
    start = time.perf_counter()
    texts = []
    for path in paths:
        read = ocr_material(Material(path=path), settings, engine)
        texts.append("\n".join(r.text if r else p.text for p, r in zip(read.pages, read.ocr, strict=True)))
    return texts, time.perf_counter() - start


def rapidocr(paths: list[Path]) -> tuple[list[str], float]:
    from bench.rapidocr_peer import rapidocr_out_of_the_box, read_text

    engine = rapidocr_out_of_the_box()
    start = time.perf_counter()
    texts = [read_text(engine, path) for path in paths]
    return texts, time.perf_counter() - start


def score(items: list[Item], texts: list[str]) -> dict[str, float]:
    lines = [cer(text, item.truth) for item, text in zip(items, texts, strict=True) if not item.page]
    pages = [(item, text) for item, text in zip(items, texts, strict=True) if item.page]
    return {
        "line_mean_cer": statistics.mean(e / n for e, n in lines),
        "lines_empty": sum(1 for item, text in zip(items, texts, strict=True) if not item.page and not normalise(text)),
        **{f"{i.name}_cer": cer(t, i.truth)[0] / cer(t, i.truth)[1] for i, t in pages},
        **{f"{i.name}_bag": bag_error(t, i.truth) for i, t in pages},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", choices=sorted(SETS), default="test")
    parser.add_argument("--margins", default="", help="rec_margin values to compare (default: the shipped one)")
    parser.add_argument("--no-rapidocr", action="store_true", help="skip RapidOCR out of the box")
    parser.add_argument("--show", action="store_true", help="print each image's texts")
    args = parser.parse_args(argv)
    items = SETS[args.set]
    with tempfile.TemporaryDirectory() as tmp:
        paths = materialise(items, Path(tmp))
        runs: list[tuple[str, list[str], float]] = []
        for margin in [float(m) for m in args.margins.split(",") if m] or [None]:
            settings = {} if margin is None else {"rec_margin": margin}
            texts, seconds = ours(paths, Path(tmp) / f"work-{margin}", **settings)
            runs.append((f"edossier margin={margin if margin is not None else 'default'}", texts, seconds))
        if not args.no_rapidocr:
            runs.append(("rapidocr out of the box", *rapidocr(paths)))
    print(f"set {args.set}: {sum(not i.page for i in items)} line/word images, {sum(i.page for i in items)} pages")
    for name, texts, seconds in runs:
        cells = "  ".join(f"{key} {value:.3f}" if isinstance(value, float) else f"{key} {value}" for key, value in score(items, texts).items())
        print(f"{name:28} {cells}  time {seconds:.1f} s")
        if args.show:
            for item, text in zip(items, texts, strict=True):
                print(f"    {item.name:28} {text[:70]!r}")


if __name__ == "__main__":
    main()
