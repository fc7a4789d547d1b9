"""``python -m edossier.pipeline.cli``: the same command without the console script."""

from edossier.pipeline.cli import entry

entry()
