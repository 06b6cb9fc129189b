"""Sphinx configuration of the xmmframe documentation.

Build with ``python -m sphinx -W -b html docs docs/_build/html`` (``pip install '.[docs]'``).
The threads in ``threads/`` are MyST-Markdown notebooks executed at build time by myst-nb; the
"for SAS users" page is generated from the command line's parameter tables by ``sas_users.py``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the sas_users extension
sys.path.insert(0, str(HERE.parent))  # this checkout's xmmframe, before any installed copy
os.environ.setdefault("PYTHONPATH", str(HERE.parent))  # the kernels that execute the threads

import xmmframe

project = "xmmframe"
author = "the xmmframe developers"
copyright = "the xmmframe developers"
release = version = xmmframe.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "myst_nb",
    "sas_users",
]

exclude_patterns = ["_build", "threads/*.py", "**.ipynb_checkpoints", "README.md"]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb"}
root_doc = "index"

html_theme = "pydata_sphinx_theme"
html_title = f"xmmframe {release}"
html_theme_options = {"navigation_with_keys": False, "show_toc_level": 2}

# API reference: numpydoc renders the docstrings; members are documented where they are defined.
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": False}
autodoc_typehints = "none"
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# Threads: executed on every build, a failing cell (an assert on a stated number) fails the build.
nb_execution_mode = "force"
nb_execution_timeout = 240
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True
myst_enable_extensions = ["colon_fence", "dollarmath"]
myst_heading_anchors = 3
