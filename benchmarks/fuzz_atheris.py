"""Long coverage-guided fuzzing runs (issue 15) with atheris/libFuzzer; the CI budget is tests/fuzz.

Targets (``--target``):

* ``select``: the selection language -- bytes decoded as text, then lexer, parser, compiler and a
  filter of a small frame (seeds: the expressions of the SAS threads and the EXOD scripts);
* ``fits``: the FITS structure parser and scanner -- bytes written as a file and opened with
  ``xmmframe.open_events(...).collect()`` (seed: a real 5-event MOS1 list, primary + EVENTS + GTI);
* ``ds9``: the ds9 region parser -- bytes as a region file, ``Region.read`` and its expression.

Anything raised other than an :class:`~xmmframe.errors.XmmframeError` is a crash: libFuzzer stops
and writes the input to ``crash-*`` in the working directory (turn it into a corpus case in
``tests/badinput/cases.py``). Only xmmframe's own modules are instrumented for coverage.
``atheris`` is not a dependency of xmmframe: ``pip install atheris``.

Example::

    python benchmarks/fuzz_atheris.py --target select --runs 100000
    python benchmarks/fuzz_atheris.py --target fits --runs 100000 --refdata ../shared/refdata
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["xmmframe"]):
    import polars as pl

    import xmmframe
    from xmmframe.errors import XmmframeError
    from xmmframe.select import Region, compile

FRAME = pl.DataFrame(
    {
        "TIME": [1.0e8, 1.0e8 + 1.5, float("nan")],
        "PI": pl.Series([100, 2000, 15000], dtype=pl.Int16),
        "PATTERN": pl.Series([0, 4, 25], dtype=pl.UInt8),
        "FLAG": pl.Series([0, 0x100, -1], dtype=pl.Int32),
        "X": pl.Series([24000, 25000, 0], dtype=pl.Int32),
        "Y": pl.Series([24000, 24100, 0], dtype=pl.Int32),
    }
)
SELECT_SEEDS = [
    "#XMMEA_EM && (PATTERN<=12) && (PI in [500:10000])",
    "#XMMEA_EP && (PI in [10000:12000]) && (PATTERN==0)",
    "(FLAG & 0x766ba000) == 0 && PI > 200 && !((X,Y) in circle(24635.6,24158.8,200))",
    "(X,Y) IN box(25000,24000,300,200,45) || (X,Y) in annulus(24000,24000,10,50)",
    "TIME >= 1.0e8 .and. PI .lt. 3000 .or. .not. PATTERN .eq. 0",
    "PI in (500:7500",
]
DS9_SEED = 'physical\ncircle(24635.6,24158.8,200)\n-box(25000,24000,300,200,45)\nfk5;circle(265.2,-32.6,20")\n'


def _run_select(data: bytes) -> None:
    text = atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(4096)
    try:
        FRAME.filter(compile(text, columns=FRAME.schema))
    except XmmframeError:
        pass


def _file_target(path: Path, action):  # noqa: ANN001, ANN202 - a libFuzzer callback
    def run(data: bytes) -> None:
        path.write_bytes(data)
        try:
            action(path)
        except XmmframeError:
            pass

    return run


def _fits_seed(refdata: Path, folder: Path) -> Path:
    from astropy.io import fits

    with fits.open(refdata / "exod/0001730201/M1_clean.fits") as hdus:
        events = hdus["EVENTS"]
        events.data = events.data[:5]
        fits.HDUList([hdus[0], events, hdus["STDGTI01"]]).writeto(folder / "seed.fits")
    return folder / "seed.fits"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", choices=("select", "fits", "ds9"), required=True)
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--refdata", default=str(Path(__file__).resolve().parents[2] / "shared" / "refdata"))
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # astropy warns on every odd card: noise, and slow
    logging.getLogger("astropy").setLevel(logging.ERROR)
    work = Path(tempfile.mkdtemp(prefix="xmmframe-fuzz-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None))
    corpus = work / "corpus"
    corpus.mkdir()
    if args.target == "select":
        target = _run_select
        for i, text in enumerate(SELECT_SEEDS):
            (corpus / f"seed{i}").write_text(text)
        max_len = 4096
    elif args.target == "fits":
        seed = _fits_seed(Path(args.refdata), work)
        (corpus / "seed").write_bytes(seed.read_bytes())
        target = _file_target(work / "input.fits", lambda path: xmmframe.open_events(path).collect())
        max_len = seed.stat().st_size + 2880
    else:
        (corpus / "seed").write_text(DS9_SEED)
        target = _file_target(work / "input.reg", lambda path: FRAME.filter(Region.read(path).to_expr()))
        max_len = 2048
    flags = [sys.argv[0], f"-runs={args.runs}", f"-seed={args.seed}", f"-max_len={max_len}", "-print_final_stats=1",
             str(corpus)]
    print(f"fuzz_atheris: target {args.target}, {args.runs} runs, seed {args.seed}, corpus {corpus}", flush=True)
    started = time.perf_counter()
    atheris.Setup(flags, target)
    try:
        atheris.Fuzz()
    finally:
        print(f"fuzz_atheris: {time.perf_counter() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
