"""Many observations as one table: ingest real and simulated exposures, query a cone, stack a spectrum.

Builds an event store in ``DIR`` (default ``./many-observations``) from

* the real MOS event lists in ``../shared/refdata`` (when that folder exists): the PPS lists of
  obs 0001730201 and the SAS-filtered lists of three galaxy-cluster observations, and
* simulated observations of one field at several pointings (``xmmframe.sim``, 3 ks each,
  processed with epproc/emproc), all of which see the same point source,

then runs a cone query across every exposure and stacks the spectra of the simulated source
(one PHA Type II file per camera family, and summed spectra per instrument with their
exposure-weighted responses, as SAS's ``epicspeccombine``).

Run::

    python examples/many_observations.py [DIR]

It prints the catalogue, the events per exposure within 1 arcmin of the source, and the
summed counts and exposure per instrument.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

import polars as pl

import xmmframe
from xmmframe.errors import CalibrationWarning
from xmmframe.exec import stack_spectra
from xmmframe.sim import default_config, simulate
from xmmframe.sim.config import offset_position

REFDATA = Path(__file__).resolve().parents[1].parent / "shared" / "refdata"
REAL = ["exod/0001730201/P0001730201M1S002MIEVLI.FTZ", "exod/0001730201/P0001730201M2S003MIEVLI.FTZ",
        *(f"xga/{obs}/eclean/mos{m}_exp1_clean_evts.fits" for obs in ("0201901401", "0201903501", "0404910601")
          for m in (1, 2))]
#: Pointing offsets (east, north arcmin) of the simulated observations from the field centre.
OFFSETS = [(0.0, 0.0), (4.0, -3.0), (-5.0, 2.0)]


def simulated_event_lists(folder: Path) -> list[Path]:
    """Simulate the field at each pointing and process it to calibrated event lists."""
    lists: list[Path] = []
    base = default_config(exposure=3000.0, seed=11)
    for number, (east, north) in enumerate(OFFSETS, start=1):
        ra, dec = offset_position(base.ra, base.dec, east, north)
        config = default_config(exposure=3000.0, seed=10 + number, ra=ra, dec=dec,
                                obs_id=f"09999902{number:02d}")
        odf = folder / f"odf{number}"
        if not odf.exists():
            simulate(odf, config)
        observation = xmmframe.open_odf(odf)
        for events in (*observation.epproc(), *observation.emproc()):
            target = folder / f"obs{number}_{events.meta.instrument}_{events.meta.expidstr}.fits"
            if not target.exists():
                events.write_fits(target)
            lists.append(target)
    return lists


def main(directory: str = "many-observations") -> None:
    # Responses come from the built-in calibration set (no SAS_CCFPATH): say so once, not per exposure.
    os.environ.setdefault("PYTHONWARNINGS", "ignore:using xmmframe's built-in calibration set")
    warnings.simplefilter("ignore", CalibrationWarning)
    print("responses from xmmframe's built-in calibration set (approximate, not for publication)")
    folder = Path(directory)
    folder.mkdir(exist_ok=True)
    sources = [REFDATA / name for name in REAL] if REFDATA.is_dir() else []
    sources += simulated_event_lists(folder)
    report = xmmframe.ingest(sources, folder / "store")
    print(f"ingested {len(report.ingested)} exposures, {report.events} events; skipped {report.skipped}")
    store = xmmframe.open_store(folder / "store")
    with pl.Config(tbl_rows=-1):
        print(store.catalog().select("obs_id", "instrume", "expid", "object", "ra_pnt", "dec_pnt", "ontime", "events"))

    source = default_config().sources[0]  # the bright point source of the simulated field
    near = store.cone(source.ra, source.dec, 1 / 60, selection="PATTERN<=4")
    with pl.Config(tbl_rows=-1):
        print(near.group_by("obs_id", "instrume", "expid").len().sort("obs_id", "instrume").collect())

    stack = stack_spectra(store, source.ra, source.dec, 30 / 3600, selection="PATTERN<=4 && FLAG==0")
    for family, table in stack.tables.items():
        table.write(folder / f"stack_{family}.pha", overwrite=True)
    for instrument, summed in stack.sums.items():
        print(f"{instrument}: {summed.spectrum.counts.sum()} counts in {summed.spectrum.exposure:.0f} s")
    print(f"{len(stack.run.results)} exposures stacked; PHA Type II files in {folder}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
