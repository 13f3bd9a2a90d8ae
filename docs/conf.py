"""Sphinx configuration: Markdown pages (MyST), numpydoc API reference, generated
study-file reference and study pages (docs/_ext/uqscale_docs.py)."""

import sys
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE / "_ext"), str(HERE.parent)]

project = "uqscale"
author = "the uqscale developers"
try:
    release = metadata.version("uqscale")
except metadata.PackageNotFoundError:
    release = "unknown"
extensions = ["myst_parser", "sphinx.ext.autodoc", "numpydoc", "uqscale_docs"]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build"]
myst_heading_anchors = 3
html_theme = "furo"
html_title = f"uqscale {release}"
numpydoc_show_class_members = False
numpydoc_validation_checks: set[str] = set()
autodoc_member_order = "bysource"
autodoc_typehints = "none"  # numpydoc sections carry the types
suppress_warnings = ["myst.xref_missing"]  # study pages quote README text with repo links
