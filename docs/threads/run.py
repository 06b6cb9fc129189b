"""Run a thread as a plain script: ``python docs/threads/run.py NAME`` (e.g. ``startup``).

Executes the code cells of ``docs/threads/NAME.md`` in order, in one namespace, with a
non-interactive matplotlib backend; an assert on a stated number that fails stops the run.
``python docs/threads/run.py --all`` runs every thread.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def code(path: Path) -> str:
    """The code cells of a MyST notebook, as one script."""
    import jupytext

    notebook = jupytext.read(path)
    return "\n\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")


def run(name: str) -> None:
    """Execute one thread's code cells."""
    path = HERE / f"{name}.md"
    script = code(path).replace("plt.show()", "plt.close('all')")
    exec(compile(script, str(path), "exec"), {"__name__": "__main__"})  # noqa: S102 - our own threads


def threads() -> list[str]:
    """The names of the threads, in the order of the threads index."""
    return [p.stem for p in sorted(HERE.glob("*.md")) if p.stem != "index"]


if __name__ == "__main__":
    os.environ.setdefault("MPLBACKEND", "Agg")
    sys.path.insert(0, str(HERE.parents[1]))
    names = threads() if sys.argv[1:] == ["--all"] else sys.argv[1:]
    if not names:
        sys.exit(f"usage: python {sys.argv[0]} NAME... | --all  (threads: {', '.join(threads())})")
    for thread in names:
        print(f"== {thread}")
        run(thread)
