"""edossier: the shared core that every stage may import.

Only the small shared vocabulary lives here (case numbers, pages, documents,
dossiers, errors).  Stages are mapped in as subpackages (``edossier.ocr`` is the
top-level ``ocr/`` folder) but this module imports none of them: data flows one
way and only ``edossier.pipeline`` wires stages together.
"""

__version__ = "0.1.0"
