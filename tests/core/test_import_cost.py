"""What importing edossier costs every CLI call and worker process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from edossier.pipeline.cli import COMMAND_HELP, COMMAND_MODULES


def test_pymupdf_add_ons_are_not_loaded() -> None:
    """PyMuPDF 2.0 would load an ONNX layout model and its Markdown add-on at import; edossier uses neither."""
    code = (
        "import sys, edossier.pipeline.process, pymupdf;"
        "print(pymupdf._get_layout is None, 'pymupdf.layout.DocumentLayoutAnalyzer' in sys.modules,"
        " any(name.startswith('pymupdf4llm.') for name in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "False", "False"]


SHARED_SAMPLES = Path(__file__).resolve().parents[1] / "data" / "shared-samples"

NOT_FOR_OCR = (
    "omegaconf",  # RapidOCR's model catalogue, read at import by its driver and its drawing module
    "requests",  # RapidOCR's model downloads
    "tqdm",
    "rapidocr.utils.vis_res",
    "rapidocr.inference_engine.base",
    "rapidocr.ch_ppocr_det",  # the packages' __init__: RapidOCR's own detector and recogniser drivers
    "rapidocr.ch_ppocr_rec",
    "pyhanko",  # signing, binding and storage belong to `process`, not to reading a page
    "aiohttp",
    "boto3",
    "openvino.tools.ovc",  # OpenVINO's model conversion: edossier only reads models
    "pymupdf",  # PDF, OFD and word-processor intake (ingest/pdf_pages.py): not for an image
    "pikepdf",
    "unoserver",
    "pillow_heif",  # HEIC photos only
    *(f"edossier.pipeline.cli.{module}" for module in COMMAND_MODULES if module != "ocr_cmd"),
)


def test_ocr_reads_a_page_with_rapidocrs_steps_alone(tmp_path: Path) -> None:
    """`edossier ocr` reads a real word crop, as a PNG, with RapidOCR's detection and decoding steps but without
    the rest of RapidOCR (its package imports cost ~0.55 CPU-s a process), the PDF intake or the modules of other
    commands."""
    image = tmp_path / "text_rec.png"
    with Image.open(SHARED_SAMPLES / "rapidocr" / "text_rec.jpg") as photo:
        photo.save(image)
    code = (
        "import sys\n"
        "from edossier.pipeline.cli import main\n"
        f"assert main(['ocr', {str(image)!r}]) == 0\n"
        f"print([name for name in {NOT_FOR_OCR!r} if sys.modules.get(name) is not None])\n"
    )
    env = {**os.environ, "EDOSSIER_DATA_DIR": str(tmp_path / "data"), "EDOSSIER_CONFIG": str(tmp_path / "none.toml")}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env, cwd=tmp_path, timeout=300
    )
    assert done.stdout.splitlines() == ["韩国小馆", "[]"], done.stderr[-2000:]


COMMAND_MODULE_NAMES = tuple(f"edossier.pipeline.cli.{module}" for module in COMMAND_MODULES)
HEAVY = ("pydantic", "numpy", "cv2", "pymupdf", "pyhanko", "dramatiq", "edossier.config", "edossier.pipeline.steps")


def _main_in_a_fresh_process(args: list[str], tmp_path: Path, watched: tuple[str, ...]) -> tuple[int, str, list[str]]:
    """`main(ARGS)` in a new interpreter: its exit code, what it printed (stdout and stderr) and which of WATCHED
    it imported. COLUMNS is wide so that no help line wraps."""
    code = (
        "import sys\n"
        "from edossier.pipeline.cli import main\n"
        f"code = main({args!r})\n"
        f"loaded = [name for name in {watched!r} if sys.modules.get(name) is not None]\n"
        "print('\\n' + repr((code, loaded)))\n"
    )
    env = {**os.environ, "EDOSSIER_DATA_DIR": str(tmp_path / "data"), "EDOSSIER_CONFIG": str(tmp_path / "none.toml"),
           "COLUMNS": "300"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path,
                          timeout=120)
    printed, _, last = done.stdout.rstrip("\n").rpartition("\n")
    exit_code, loaded = eval(last)  # noqa: S307  # our own repr of an int and a list of names
    return exit_code, printed + done.stderr, loaded


@pytest.mark.parametrize(("args", "exit_code"), [(["--help"], 0), ([], 2)])
def test_help_lists_every_command_without_importing_one(args: list[str], exit_code: int, tmp_path: Path) -> None:
    """`edossier --help` and a bare `edossier` list every command with its one-line help from the table beside
    COMMAND_MODULES; no command module (all of them cost ~1.4 CPU-s), pydantic or settings are loaded."""
    code, printed, loaded = _main_in_a_fresh_process(args, tmp_path, COMMAND_MODULE_NAMES + HEAVY)
    assert code == exit_code
    assert loaded == []
    listed = {line.strip("│ ").split(maxsplit=1)[0]: line.strip("│ ").split(maxsplit=1)[1] for line in printed.splitlines()
              if line.startswith("│ ") and not line.startswith("│ --")}
    assert listed == COMMAND_HELP


def test_an_unknown_command_is_refused_without_importing_one(tmp_path: Path) -> None:
    """Refused with typer's suggestion, no command module loaded (pydantic is: typer coerces the group's --help)."""
    code, printed, loaded = _main_in_a_fresh_process(["lst"], tmp_path, COMMAND_MODULE_NAMES + HEAVY[1:])
    assert (code, loaded) == (2, [])
    assert "No such command 'lst'. Did you mean 'list'?" in printed


def test_help_table_is_what_the_commands_say(tmp_path: Path) -> None:
    """The table gives the same `edossier --help` as every command module imported (before the table, the only
    way): each line is the first paragraph of its command's own help, in the order typer lists them."""
    env = {**os.environ, "EDOSSIER_DATA_DIR": str(tmp_path / "data"), "EDOSSIER_CONFIG": str(tmp_path / "none.toml"),
           "COLUMNS": "100"}
    every_module = (
        "import importlib, inspect, json, typer\n"
        "from edossier.pipeline.cli import COMMAND_MODULES\n"
        "from edossier.pipeline.cli.app import app\n"
        "for module in COMMAND_MODULES:\n"
        "    importlib.import_module(f'edossier.pipeline.cli.{module}')\n"
        "group = typer.main.get_command(app)\n"
        "lines = [(name, inspect.cleandoc(c.short_help or c.help or '').split('\\n\\n')[0])"
        " for name, c in group.commands.items()]\n"
        "group.main(['--help'], standalone_mode=False)\n"
        "print(json.dumps(lines, ensure_ascii=False))\n"
    )
    table = "from edossier.pipeline.cli import main\nmain(['--help'])\n"
    real = subprocess.run([sys.executable, "-c", every_module], capture_output=True, text=True, env=env, check=True,
                          cwd=tmp_path, timeout=300)
    listed = subprocess.run([sys.executable, "-c", table], capture_output=True, text=True, env=env, check=True,
                            cwd=tmp_path, timeout=120)
    real_help, _, lines = real.stdout.rstrip("\n").rpartition("\n")
    assert [tuple(line) for line in json.loads(lines)] == list(COMMAND_HELP.items())
    assert listed.stdout == real_help + "\n"


@pytest.mark.parametrize(
    ("args", "shows", "not_loaded"),
    [
        (["casenumber", "（2024）浙0106民初1号"], "（2024）浙0106民初1号", HEAVY[1:]),  # typer's parameters need pydantic
        (["list"], "no dossiers stored", ("numpy", "pymupdf", "pyhanko", "dramatiq", "edossier.pipeline.steps")),
        (["status", "no-such-batch"], "batch no-such-batch: cases 0 done",
         ("numpy", "pymupdf", "pyhanko", "dramatiq", "edossier.pipeline.steps")),
    ],
)
def test_commands_without_ocr_load_only_their_own(
    args: list[str], shows: str, not_loaded: tuple[str, ...], tmp_path: Path
) -> None:
    """A command imports its own module, not the other commands' (nor their libraries)."""
    own = next(module for module, commands in COMMAND_MODULES.items() if args[0] in commands)
    others = tuple(name for name in COMMAND_MODULE_NAMES if name != f"edossier.pipeline.cli.{own}")
    code, printed, loaded = _main_in_a_fresh_process(args, tmp_path, others + not_loaded)
    assert (code, loaded) == (0, [])
    assert shows in printed

