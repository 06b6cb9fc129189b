"""Headers and tables of simulated ODF constituents, in the Data Files Handbook layout.

Written per camera: the auxiliary (frame) file ``*AUX.FIT`` and one imaging-mode event file
``*IME.FIT`` per CCD (pn: ``PNS00301IME.FIT`` ... CCD 1-12; MOS: ``M1S00110IME.FIT`` ... CCD and
node), a periodic housekeeping file (pn ``PNX00000PMH.FIT``, MOS ``M1X00000PEH.FIT``; reduced to a
few parameters), then the attitude history ``SCX00000ATS.FIT`` and the summary
``SCX00000SUM.ASC``.

pn event file columns (choice documented here): the DFHB gives none for pn imaging files, SAS
epframes reads ``FRAME, RAWX, RAWY, ENERGY`` from them [EPFR11]; we write ``FRAME`` (J),
``RAWX``/``RAWY`` (I), ``ENERGY`` (I, adu after on-board offset subtraction) - one row per pixel
above threshold, as pn transmits pixels, not events.  The pn AUX file has the DFHB table-9
columns ``FRAME CYCLE FTCOARSE FTFINE QUADRANT CCDID`` (one row per frame and CCD;
``FTFINE`` in 20.48 us ticks stored as unsigned 16 bit) in its first extension.

Examples
--------
>>> from xmmframe.sim.constituents import exposure_keywords
>>> sorted(exposure_keywords("EPN", "0999990101", 3, "S", "Medium", "PrimeFullWindowExtended",
...                          "2006-05-27T10:00:00", "2006-05-27T16:00:00", 1234, "X"))[:3]
['CREATOR', 'DATAMODE', 'DATE']
"""

from __future__ import annotations

import numpy as np
import polars as pl

from xmmframe.io.cards import provenance_items
from xmmframe.model.mission_time import utc_strings
from xmmframe.model.provenance import Provenance
from xmmframe.sim.frames import COARSE_WRAP, FINE_TICK

#: How the simulated ODF files were made (their CREATOR and DATE).
PROVENANCE = Provenance("simulate")

#: Columns of the IME event files (pn pixels, MOS on-board events).
PN_RAW_SCHEMA = {"FRAME": pl.Int32, "RAWX": pl.Int16, "RAWY": pl.Int16, "ENERGY": pl.Int16}
MOS_RAW_SCHEMA = {
    "FRAME": pl.Int32,
    "RAWX": pl.Int16,
    "RAWY": pl.Int16,
    "ENERGYE1": pl.Int16,
    "ENERGYE2": pl.Int16,
    "ENERGYE3": pl.Int16,
    "ENERGYE4": pl.Int16,
    "PATTERN": pl.UInt8,
    "PERIPIX": pl.UInt8,
}


def exposure_keywords(
    instrument: str,
    obs_id: str,
    exposure: int,
    flag: str,
    filter_name: str,
    mode: str,
    date_obs: str,
    date_end: str,
    revolution: int,
    target: str,
) -> dict[str, object]:
    """Primary-header keywords shared by a camera's constituents."""
    return {
        **provenance_items(PROVENANCE),
        "ORIGIN": ("xmmframe simulator", "origin of FITS file (simulated, not ESA)"),
        "TELESCOP": ("XMM", "Telescope (mission) name"),
        "INSTRUME": (instrument, "Instrument name"),
        "OBS_ID": (obs_id, "Observation identifier"),
        "EXP_ID": (f"{obs_id}{exposure:03d}", "Exposure identifier"),
        "EXPIDSTR": (f"{flag}{exposure:03d}", "Exposure ID"),
        "REVOLUT": (revolution, "XMM revolution number"),
        "OBS_MODE": ("POINTING", "Observation mode (pointing or slew)"),
        "OBJECT": (target, "Name of observed object"),
        "FILTER": (filter_name, "Filter ID"),
        "SUBMODE": (mode, "Guest Observer mode"),
        "DATAMODE": ("IMAGING", "Instrument mode (IMAGING or TIMING)"),
        "DATE-OBS": (date_obs, "Start time of exposure (UTC)"),
        "DATE-END": (date_end, "End time of exposure (UTC)"),
    }


def event_table_keywords(
    instrument: str, ccd: int, node: int, shape: tuple[int, int], frame_time: float, threshold: int, mode: str
) -> dict[str, object]:
    """Keywords of an IME event table (one CCD/node)."""
    nx, ny = shape
    first_row = 13 if instrument == "EPN" else 1
    return {
        "DATATYPE": ("IMAGE.EL", "Type of data"),
        "CCDID": (ccd, "Numerical identifier of the CCD"),
        "CCDNODE": (node, "CCD Node"),
        "CCDMODE": (mode, "Readout submode"),
        "WINDOWX0": (1, "X-Coordinate of bottom left corner of window"),
        "WINDOWY0": (first_row, "Y-Coordinate of bottom left corner of window"),
        "WINDOWDX": (nx, "Size, along x-axis, of window"),
        "WINDOWDY": (ny - first_row + 1, "Size, along y-axis, of window"),
        "FRMTIME": (round(frame_time * 1000.0, 3), "[ms] Frame integration time"),
        "EVTHRESH": (threshold, "[adu] On-board lower threshold"),
    }


def aux_keywords(instrument: str, frame_time: float, t0: float) -> dict[str, object]:
    """Keywords of the AUX table: clock conventions of FTCOARSE/FTFINE."""
    tick = FINE_TICK["EPN" if instrument == "EPN" else "EMOS"]
    return {
        "FRMTIME": (round(frame_time * 1000.0, 3), "[ms] Frame integration time"),
        "FINETICK": (tick, "[s] Unit of FTFINE"),
        "COARSWRP": (COARSE_WRAP, "[s] Wrap-around of FTCOARSE"),
        "TIMESYS": ("TT", "XMM time will be TT (Terrestrial Time)"),
        "MJDREF": (50814.0, "[d] 1998-01-01T00:00:00 (TT) expressed in MJD"),
    }


def housekeeping_table(instrument: str, t0: float, t1: float, rng: np.random.Generator) -> pl.DataFrame:
    """A reduced periodic housekeeping table (every 8 s): TIME, CCD temperature, HV and filter status."""
    time = np.arange(t0, t1, 8.0)
    base = -90.0 if instrument == "EPN" else -120.0
    return pl.DataFrame(
        {
            "TIME": time,
            "TEMPERATURE": pl.Series(base + 0.05 * rng.standard_normal(time.size), dtype=pl.Float32),
            "HV_STATUS": pl.Series(np.ones(time.size), dtype=pl.UInt8),
            "FILTER_POS": pl.Series(np.full(time.size, 3), dtype=pl.Int16),
        }
    )


def attitude_table(
    time: np.ndarray, duration: float, ra: list[str], dec: list[str], pa: np.ndarray, obs_id: str
) -> pl.DataFrame:
    """The ATS table (DFHB table 26 columns) of attitude records starting at mission times ``time``."""
    n = time.size
    blank11 = ["00:00:00.00"] * n
    return pl.DataFrame(
        {
            "VALTIME": utc_strings(time, precision=0),
            "VALDUR": pl.Series(np.full(n, duration), dtype=pl.Float32),
            "OTFTHRES": pl.Series(np.full(n, 60.0), dtype=pl.Float32),
            "VIEWRA": ra,
            "VIEWDECL": dec,
            "ASTPOS": pl.Series(pa, dtype=pl.Float32),
            "ROLLANG": pl.Series(np.zeros(n), dtype=pl.Float32),
            "GSREFNO": ["SIMGS0000001"] * n,
            "GSRA": ra,
            "GSDEC": dec,
            "ASPANGLE": pl.Series(np.full(n, 90.0), dtype=pl.Float32),
            "ACFLAG": pl.Series(np.zeros(n), dtype=pl.UInt8),
            "APDAMP": ["0.000"] * n,
            "DIFFVRA": blank11,
            "DIFFVDEC": ["+00:00:00.0"] * n,
            "DIFFPOS": ["0.0000000"] * n,
            "PREQID": [f"{obs_id}P1"[:14]] * n,
            "TYPEID": ["P"] * n,
            "SOURCEID": ["F"] * n,
            "ATTSEQNO": ["1"] * n,
            "SLEWTIME": utc_strings(np.full(n, time[0] - 600.0), precision=0),
        }
    )
