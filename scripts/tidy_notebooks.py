"""Remove per-cell execution timestamps that older runs (or Jupyter's own
``record_timing``) left in notebooks, so a re-run only changes what a reader sees.

Usage: python scripts/tidy_notebooks.py notebooks/*.ipynb
"""

from __future__ import annotations

import sys

import nbformat


def tidy(path: str) -> bool:
    notebook = nbformat.read(path, as_version=4)
    changed = False
    for cell in notebook.cells:
        if "execution" in cell.metadata:
            del cell.metadata["execution"]
            changed = True
    if changed:
        nbformat.write(notebook, path)
    return changed


if __name__ == "__main__":
    for name in sys.argv[1:]:
        if tidy(name):
            print(f"tidied {name}")
