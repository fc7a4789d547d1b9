"""Document-type classifier: stratified cross-validation on the labelled corpus, and speed.

    python -m bench.classify_eval [CORPUS_DIR] [--folds 5] [--out bench/results/classify]

Each fold trains exactly as ``edossier train-classifier`` does (real training
texts + synthetic top-ups made from the training fold only) and scores the
held-out *real* texts; synthetic 证据目录/送达回证 are scored on a separate
synthetic set (optimistic: same templates) and reported apart.  Also scored:
the same real texts with OCR-like noise.  Writes metrics.json, per-class table
(report.md) and confusion.png; prints the summary.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
import warnings
from pathlib import Path

import numpy as np

from edossier.classify.classifier import predict
from edossier.classify.metadata import extract_metadata
from edossier.classify.synthetic import ocr_noise, synthetic_examples
from edossier.classify.training import Example, read_corpus, train

DEFAULT_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
REVIEW_THRESHOLD = 0.6
MISSING = ("证据目录", "送达回证")


def cross_validate(examples: list[Example], folds: int) -> dict[str, list]:
    from sklearn.model_selection import StratifiedKFold

    labels = np.asarray([e.label for e in examples])
    out: dict[str, list] = {"true": [], "pred": [], "conf": [], "noisy_pred": [], "syn_true": [], "syn_pred": [],
                            "name": []}
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=1)
    rng = random.Random(7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        splits = list(splitter.split(np.zeros(len(labels)), labels))
    for fold, (train_rows, test_rows) in enumerate(splits):
        real = [examples[i] for i in train_rows]
        model = train(real + synthetic_examples(real, seed=fold))
        for i in test_rows:
            label, conf, _ = predict(model, examples[i].text)
            out["name"].append(examples[i].name)
            out["true"].append(examples[i].label)
            out["pred"].append(label)
            out["conf"].append(conf)
            out["noisy_pred"].append(predict(model, ocr_noise(examples[i].text, rng, 0.03))[0])
        held_synthetic = [e for e in synthetic_examples(real, seed=1000 + fold) if e.label in MISSING][::3]
        for example in held_synthetic:
            out["syn_true"].append(example.label)
            out["syn_pred"].append(predict(model, example.text)[0])
        print(f"fold {fold + 1}/{folds} done", flush=True)
    return out


def calibration(conf: list[float], correct: list[bool], bins: int = 10) -> tuple[float, list[dict]]:
    """Expected calibration error and the reliability table."""
    table, ece = [], 0.0
    conf_a, corr_a = np.asarray(conf), np.asarray(correct, dtype=float)
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        mask = (conf_a > lo) & (conf_a <= hi) if b else (conf_a <= hi)
        if mask.any():
            gap = abs(conf_a[mask].mean() - corr_a[mask].mean())
            ece += mask.mean() * gap
            table.append({"bin": f"{lo:.1f}-{hi:.1f}", "n": int(mask.sum()),
                          "confidence": round(float(conf_a[mask].mean()), 3),
                          "accuracy": round(float(corr_a[mask].mean()), 3)})
    return float(ece), table


def speed(examples: list[Example]) -> dict[str, float]:
    """Time to classify (and extract metadata from) a 10-page document of OCR text, model loaded.

    Wall time on a shared machine includes waiting for a core, so CPU time is
    reported too, with the load average at the time.
    """
    from edossier.classify.model import load_model

    model = load_model()
    judgments = [e.text for e in examples if e.label == "判决书" and e.name.startswith("docs/判决书/wenshu")]
    text = "\n".join(judgments)[:10 * 900]  # about 900 characters on an A4 page of a judgment
    predict(model, text)
    wall_ms, cpu_ms, meta_ms = [], [], []
    for _ in range(20):
        start, cpu = time.perf_counter(), time.process_time()
        predict(model, text)
        wall_ms.append((time.perf_counter() - start) * 1000)
        cpu_ms.append((time.process_time() - cpu) * 1000)
        start = time.perf_counter()
        extract_metadata(text)
        meta_ms.append((time.perf_counter() - start) * 1000)
    return {"chars": len(text), "classify_wall_ms_median": round(statistics.median(wall_ms), 2),
            "classify_cpu_ms_median": round(statistics.median(cpu_ms), 2),
            "classify_wall_ms_max": round(max(wall_ms), 2), "metadata_wall_ms_median": round(statistics.median(meta_ms), 2),
            "load_average": round(os.getloadavg()[0], 1)}


def confusion_png(true: list[str], pred: list[str], labels: list[str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager
    from sklearn.metrics import confusion_matrix

    for name in ("Noto Sans CJK SC", "Noto Sans CJK JP", "WenQuanYi Zen Hei"):
        if any(name == f.name for f in font_manager.fontManager.ttflist):
            plt.rcParams["font.family"] = name
            break
    matrix = confusion_matrix(true, pred, labels=labels)
    fig, ax = plt.subplots(figsize=(11, 10))
    ax.imshow(np.log1p(matrix), cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=90)
    ax.set_yticks(range(len(labels)), labels)
    for (r, c), value in np.ndenumerate(matrix):
        if value:
            ax.text(c, r, str(value), ha="center", va="center", fontsize=7,
                    color="white" if value > matrix.max() / 2 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true (real corpus texts, cross-validated)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> None:
    from sklearn.metrics import f1_score, precision_recall_fscore_support

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("bench/results/classify"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    examples = read_corpus(args.corpus)
    counts = {label: sum(e.label == label for e in examples) for label in sorted({e.label for e in examples})}
    started = time.perf_counter()
    cv = cross_validate(examples, args.folds)
    labels = sorted(counts)
    p, r, f, s = precision_recall_fscore_support(cv["true"], cv["pred"], labels=labels, zero_division=0)
    frequent = [label for label in labels if counts[label] >= 10]
    correct = [t == q for t, q in zip(cv["true"], cv["pred"])]
    ece, reliability = calibration(cv["conf"], correct)
    review = [c < REVIEW_THRESHOLD for c in cv["conf"]]
    auto = [ok for ok, rev in zip(correct, review) if not rev]
    syn_p, syn_r, syn_f, syn_s = precision_recall_fscore_support(
        cv["syn_true"], cv["syn_pred"], labels=list(MISSING), zero_division=0)
    metrics = {
        "examples": len(examples),
        "folds": args.folds,
        "seconds": round(time.perf_counter() - started, 1),
        "macro_f1_classes_ge10": round(f1_score(cv["true"], cv["pred"], labels=frequent, average="macro"), 4),
        "macro_f1_all_real_classes": round(f1_score(cv["true"], cv["pred"], labels=labels, average="macro"), 4),
        "accuracy": round(float(np.mean(correct)), 4),
        "noisy_macro_f1_classes_ge10": round(f1_score(cv["true"], cv["noisy_pred"], labels=frequent, average="macro"), 4),
        "noisy_accuracy": round(float(np.mean([t == q for t, q in zip(cv["true"], cv["noisy_pred"])])), 4),
        "ece": round(ece, 4),
        "needs_review_rate": round(float(np.mean(review)), 4),
        "accuracy_when_not_review": round(float(np.mean(auto)), 4) if auto else None,
        "per_class": {label: {"n": counts[label], "precision": round(float(p[i]), 3), "recall": round(float(r[i]), 3),
                              "f1": round(float(f[i]), 3)} for i, label in enumerate(labels)},
        "synthetic_only_classes": {label: {"n_scored": int(syn_s[i]), "precision": round(float(syn_p[i]), 3),
                                           "recall": round(float(syn_r[i]), 3)} for i, label in enumerate(MISSING)},
        "reliability": reliability,
        "errors": [{"text": n, "true": t, "predicted": q, "confidence": round(c, 3)}
                   for n, t, q, c in zip(cv["name"], cv["true"], cv["pred"], cv["conf"]) if t != q],
        "speed_10_pages": speed(examples),
    }
    (args.out / "metrics.json").write_text(json.dumps(metrics, ensure_ascii=False, indent=1))
    rows = ["| type | n (real) | precision | recall | F1 |", "|---|---|---|---|---|"]
    rows += [f"| {k} | {v['n']} | {v['precision']:.3f} | {v['recall']:.3f} | {v['f1']:.3f} |"
             for k, v in metrics["per_class"].items()]
    (args.out / "report.md").write_text("\n".join(rows) + "\n")
    confusion_png(cv["true"], cv["pred"], labels, args.out / "confusion.png")
    print(json.dumps({k: v for k, v in metrics.items() if k not in ("per_class", "reliability", "errors")},
                     ensure_ascii=False, indent=1))
    print("\n".join(rows))


if __name__ == "__main__":
    main()
