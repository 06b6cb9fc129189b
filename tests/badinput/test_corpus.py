"""Every case of the bad-input corpus, from Python and from the command line.

For each case: a named :class:`~xmmframe.errors.XmmframeError` subclass in Python; from the CLI
one line on stderr naming the file, column or position, exit status 1 and no traceback; no
output left under the final name (nor a temporary file beside it); inputs byte-identical.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.badinput.cases import CASES, Case, Work
from tests.badinput.files import sha256
from xmmframe.cli.main import main

ROOT = Path(__file__).resolve().parents[2]


def _words(case: Case, path: Path, work: Work) -> list[str]:
    output = case.output(path, work)
    return [w.replace("{input}", str(path)).replace("{output}", str(output)) for w in case.words]


def _state(case: Case, path: Path, work: Work) -> dict[str, str | None]:
    """Hashes of the inputs and of the output (None when absent), and the files of the output folder."""
    files = {str(p): sha256(p) if p.is_file() else None for p in case.inputs(path, work)}
    output = case.output(path, work)
    files["output"] = sha256(output) if output.is_file() else None
    folder = output.parent
    files["folder"] = " ".join(sorted(os.listdir(folder))) if folder.is_dir() else None
    return files


def _check_nothing_changed(before: dict[str, str | None], case: Case, path: Path, work: Work) -> None:
    after = _state(case, path, work)
    assert after == before, "an input changed, or an output (or a temporary file) was left"
    assert not (work.dir / "pwned").exists()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_python_raises_the_named_error(case: Case, work: Work):
    path = case.build(work)
    before = _state(case, path, work)
    with pytest.raises(case.error) as info:
        case.python(path, work)
    message = str(info.value)
    for word in _words(case, path, work):
        assert word in message, f"{word!r} not in {message!r}"
    _check_nothing_changed(before, case, path, work)


CLI_CASES = [c for c in CASES if c.cli is not None]


@pytest.mark.parametrize("case", CLI_CASES, ids=[c.name for c in CLI_CASES])
def test_cli_prints_one_line_and_exits_1(case: Case, work: Work, capsys, monkeypatch):
    monkeypatch.delenv("SAS_CLOBBER", raising=False)
    monkeypatch.chdir(work.dir)
    path = case.build(work)
    before = _state(case, path, work)
    status = main(case.cli(path, work))
    err = capsys.readouterr().err
    assert status == 1
    assert err.count("\n") == 1 and err.startswith("xmmframe: error: "), err
    assert "Traceback" not in err
    for word in _words(case, path, work):
        assert word in err, f"{word!r} not in {err!r}"
    _check_nothing_changed(before, case, path, work)


# A few cases through the installed entry point, in a separate process (as a user runs it).
SUBPROCESS_CASES = ["gzip deflate data damaged", "selection: 10000 nested parentheses", "existing output without clobber"]


@pytest.mark.parametrize("name", SUBPROCESS_CASES)
def test_command_in_a_subprocess(name: str, work: Work):
    case = next(c for c in CASES if c.name == name)
    path = case.build(work)
    before = _state(case, path, work)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SAS_CLOBBER", None)
    command = [sys.executable, "-m", "xmmframe.cli.main", *case.cli(path, work)]
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=work.dir, check=False)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    for word in _words(case, path, work):
        assert word in result.stderr
    _check_nothing_changed(before, case, path, work)


def test_debug_shows_the_traceback(work: Work, capsys):
    case = next(c for c in CASES if c.name == "selection: unclosed parenthesis")
    path = case.build(work)
    with pytest.raises(case.error):
        main(["--debug", *case.cli(path, work)])
    assert not work.out.exists()
