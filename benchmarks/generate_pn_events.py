"""Generate a large pn-like EPIC event list (FITS) for the scanner benchmarks.

The file has an empty primary HDU and an ``EVENTS`` binary table with the 15 columns of a PPS
pn event list (``TIME D, RAWX I, RAWY I, DETX I, DETY I, X J, Y J, PHA I, PI I, FLAG J,
PATTERN B, PAT_ID I, PAT_SEQ B, CCDNR B, OFFSETX I``) and header keywords laid out like a real
file (TTYPE/TFORM/TUNIT, TLMIN/TLMAX, TNULL and the sky WCS of X/Y, INSTRUME, TSTART/TSTOP...).

Values are drawn so that queries behave as on real data: a diffuse component spread over the
field of view plus one bright point source, frame-quantised sorted times, a power-law spectrum
with instrumental lines (PI in eV, mostly below 10 keV), mostly single-pixel patterns and mostly
unflagged events, and a few events with undefined sky position (``X = Y = TNULL``).

The header is made by astropy with ``NAXIS2`` set up front; the rows are then drawn in chunks
and written directly as big-endian records, so memory stays at a few chunks whatever the size.
The file is written to a temporary name and renamed when complete.

Examples
--------
Write the default 2e7 events (about 780 MB) to /tmp::

    python benchmarks/generate_pn_events.py --out /tmp/pn_events_2e7.fits

A small file for a quick check::

    python benchmarks/generate_pn_events.py --events 100000 --out /tmp/pn_small.fits
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from astropy.io import fits

#: Sky pixel (X/Y) of the optical axis, as in every PPS event list.
SKY_CENTRE = 25921
#: Sky pixel position of the simulated point source (the benchmark's spectrum region).
SOURCE_XY = (27421, 25121)
#: Sky pixel size in degrees (0.05 arcsec).
SKY_PIXEL_DEG = 0.05 / 3600.0
#: Radius of the field of view in sky pixels (about 14 arcmin).
FOV_RADIUS = 16800
#: pn full-frame frame time in seconds.
FRAME_TIME = 0.0733264
#: Size of one pn CCD pixel in detector (DETX/DETY) units of 0.05 arcsec (4.1 arcsec).
DET_PER_RAW = 82
#: Undefined-value marker of the X and Y columns.
SKY_TNULL = -99999999
#: Events generated and written per chunk.
CHUNK_EVENTS = 1_000_000

#: (name, TFORM, big-endian numpy type, TUNIT, comment, TLMIN, TLMAX) of the EVENTS columns.
COLUMNS: tuple[tuple[str, str, str, str | None, str, int | None, int | None], ...] = (
    ("TIME", "D", ">f8", "s", "time of the center of the frame", None, None),
    ("RAWX", "I", ">i2", "PIXELS", "X in node coordinates", 1, 64),
    ("RAWY", "I", ">i2", "PIXELS", "Y in node coordinates", 1, 200),
    ("DETX", "I", ">i2", "pixel", "X in linearised camera coordinates", -18000, 18000),
    ("DETY", "I", ">i2", "pixel", "Y in linearised camera coordinates", -18000, 18000),
    ("X", "J", ">i4", "pixel", "X in projected sky coordinates", 1, 51840),
    ("Y", "J", ">i4", "pixel", "Y in projected sky coordinates", 1, 51840),
    ("PHA", "I", ">i2", "CHAN", "total charge of the event (uncorrected)", 0, 4095),
    ("PI", "I", ">i2", "CHAN", "measured energy in eV (gain corrected)", 0, 20479),
    ("FLAG", "J", ">i4", None, "quality flag", None, None),
    ("PATTERN", "B", ">u1", None, "pattern or grade defining the event", 0, 12),
    ("PAT_ID", "I", ">i2", None, "pattern identifier", None, None),
    ("PAT_SEQ", "B", ">u1", None, "sequence number of pixel in pattern", None, None),
    ("CCDNR", "B", ">u1", None, "CCD number", 1, 12),
    ("OFFSETX", "I", ">i2", None, "offset of the event in X", None, None),
)

#: Big-endian record of one row, packed like the FITS row (NAXIS1 bytes).
ROW_DTYPE = np.dtype([(name, np_type) for name, _, np_type, *_ in COLUMNS])

#: PATTERN probabilities 0..12 (singles dominate, doubles 1-4, triples/quads 5-12).
PATTERN_P = np.array([0.62, 0.075, 0.075, 0.075, 0.075, 0.012, 0.012, 0.012, 0.012, 0.008, 0.008,
                      0.008, 0.008])
#: FLAG bits set on a minority of events, with their probabilities (pn PPS flag meanings).
FLAG_BITS = (
    (0x1, 0.04),        # CLOSE_TO_CCD_BORDER
    (0x4, 0.02),        # CLOSE_TO_CCD_WINDOW
    (0x8, 0.01),        # ON_OFFSET_COLUMN
    (0x20, 0.01),       # CLOSE_TO_ONBOARD_BADPIX
    (0x10000, 0.03),    # OUT_OF_FOV
    (0x80000, 0.005),   # IN_BAD_FRAME / cosmic ray
    (0x100000, 0.005),  # ON_BADPIX
    (0x400000, 0.005),  # REJECTED_BY_GATTI
)


@dataclass(frozen=True)
class Observation:
    """Global parameters of the simulated exposure.

    Attributes
    ----------
    events : int
        Number of events (NAXIS2).
    tstart : float
        Start of the exposure in XMM mission time (s).
    exposure : float
        Length of the exposure (s).
    source_fraction : float
        Fraction of events from the point source.
    """

    events: int
    tstart: float = 1.2345e8
    exposure: float = 130_000.0
    source_fraction: float = 0.3

    @property
    def tstop(self) -> float:
        """End of the exposure in mission time (s)."""
        return self.tstart + self.exposure


def build_primary_header() -> fits.Header:
    """Primary header keywords of a PPS pn event list (no data)."""
    header = fits.PrimaryHDU().header
    cards = [
        ("TELESCOP", "XMM", "XMM mission"),
        ("INSTRUME", "EPN", "EPIC pn instrument"),
        ("OBS_ID", "0999990101", "Observation Identifier"),
        ("EXP_ID", "0999990101003", "Exposure Identifier"),
        ("EXPIDSTR", "S003", "Exposure ID"),
        ("DATAMODE", "IMAGING", "Instrument mode (IMAGING or TIMING)"),
        ("SUBMODE", "PrimeFullWindow", "Guest Observer mode"),
        ("FILTER", "Medium", "Filter ID"),
        ("OBJECT", "BENCHMARK", "Name of observed object (synthetic)"),
        ("DATE-OBS", "2001-11-30T11:20:00", "Start time of exposure"),
        ("CREATOR", "xmmframe benchmarks/generate_pn_events.py", "synthetic data, not real"),
    ]
    for key, value, comment in cards:
        header[key] = (value, comment)
    return header


def build_events_header(obs: Observation) -> fits.Header:
    """EVENTS header for ``obs.events`` rows, column keywords included, without data."""
    columns = []
    for name, tform, _, unit, _, _, _ in COLUMNS:
        null = SKY_TNULL if name in ("X", "Y") else None
        columns.append(fits.Column(name=name, format=tform, unit=unit, null=null))
    header = fits.BinTableHDU.from_columns(fits.ColDefs(columns), nrows=0).header
    header["NAXIS2"] = obs.events
    header["EXTNAME"] = ("EVENTS", "CCD/node specific event list")
    for n, (name, _, _, _, comment, tlmin, tlmax) in enumerate(COLUMNS, start=1):
        header.comments[f"TTYPE{n}"] = comment
        if tlmin is not None:
            header[f"TLMIN{n}"] = (tlmin, f"Legal minimum for {name}")
            header[f"TLMAX{n}"] = (tlmax, f"Legal maximum for {name}")
    _add_sky_wcs(header)
    _add_exposure_keywords(header, obs)
    return header


def _add_sky_wcs(header: fits.Header) -> None:
    """TCTYP/TCRVL/TCDLT/TCRPX/TCUNI of the X and Y columns."""
    number = {name: n for n, (name, *_) in enumerate(COLUMNS, start=1)}
    axes = (("X", "RA---TAN", 83.6331, -SKY_PIXEL_DEG), ("Y", "DEC--TAN", 22.0145, SKY_PIXEL_DEG))
    for name, ctype, crval, cdelt in axes:
        n = number[name]
        header[f"TCRPX{n}"] = (SKY_CENTRE, "axis reference pixel of projected image")
        header[f"TCTYP{n}"] = (ctype, "Coord. type: tangent plane projection")
        header[f"TCRVL{n}"] = (crval, "[deg] coord. at axis ref. pixel")
        header[f"TCDLT{n}"] = (cdelt, "[deg/pix] increment at ref. pixel")
        header[f"TCUNI{n}"] = ("deg", "Physical units of axis")


def _add_exposure_keywords(header: fits.Header, obs: Observation) -> None:
    """Instrument, time system and selection-macro keywords of a PPS EVENTS extension."""
    cards = [
        ("TELESCOP", "XMM", "XMM mission"),
        ("INSTRUME", "EPN", "EPIC pn instrument"),
        ("DATAMODE", "IMAGING", "Instrument mode (IMAGING or TIMING)"),
        ("SUBMODE", "PrimeFullWindow", "Guest Observer mode"),
        ("FILTER", "Medium", "Filter ID"),
        ("OBS_ID", "0999990101", "Observation Identifier"),
        ("EXPIDSTR", "S003", "Exposure ID"),
        ("TSTART", obs.tstart, "[s] Start time of first frame"),
        ("TSTOP", obs.tstop, "[s] End time of last frame"),
        ("TELAPSE", obs.exposure, "[s] Full time interval for the exposure"),
        ("TIMEUNIT", "s", "All times in s unless specified otherwise"),
        ("TIMESYS", "TT", "XMM time will be TT (Terrestrial Time)"),
        ("MJDREF", 50814.0, "[d] 1998-01-01T00:00:00 (TT) expressed in MJD"),
        ("TIMEREF", "LOCAL", "Reference location of photon arrival times"),
        ("TASSIGN", "SATELLITE", "Location of time assignment"),
        ("FRMTIME", FRAME_TIME * 1000.0, "[ms] Frame time"),
        ("RADECSYS", "FK5", "World coord. system for this file"),
        ("EQUINOX", 2000.0, "Equinox for sky coordinate x/y axes"),
        ("XMMEA_EP", "(FLAG & 0xfa0000) == 0", "Select good pn events"),
        ("XMMEA_22", "(FLAG & 0x400000) != 0", "REJECTED_BY_GATTI"),
    ]
    for key, value, comment in cards:
        header[key] = (value, comment)


def chunk_sizes(total: int, chunk: int = CHUNK_EVENTS) -> Iterator[tuple[int, int]]:
    """``(first_row, rows)`` of consecutive chunks covering ``total`` rows."""
    for start in range(0, total, chunk):
        yield start, min(chunk, total - start)


def draw_times(rng: np.random.Generator, obs: Observation, start: int, n: int) -> np.ndarray:
    """Sorted, frame-quantised times of rows ``start .. start+n`` (constant mean rate)."""
    t0 = obs.exposure * start / obs.events
    t1 = obs.exposure * (start + n) / obs.events
    offsets = np.sort(rng.uniform(t0, t1, n))
    frames = np.floor(offsets / FRAME_TIME)
    return obs.tstart + frames * FRAME_TIME


def draw_sky(rng: np.random.Generator, obs: Observation, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Sky X/Y: a diffuse component over the field of view plus a point source (King-like PSF)."""
    from_source = rng.random(n) < obs.source_fraction
    # diffuse: Gaussian of a few thousand pixels, folded back inside the field of view.
    dx = rng.normal(0.0, 6000.0, n)
    dy = rng.normal(0.0, 6000.0, n)
    radius = np.hypot(dx, dy)
    outside = radius > FOV_RADIUS
    scale = np.where(outside, rng.uniform(0.0, 1.0, n) * FOV_RADIUS / np.maximum(radius, 1.0), 1.0)
    x = SKY_CENTRE + dx * scale
    y = SKY_CENTRE + dy * scale
    # source: radial profile ~ (1 + (r/rc)^2)^-1.5, core ~ 5 arcsec, drawn by inverse transform.
    m = int(from_source.sum())
    u = rng.random(m)
    r = 100.0 * np.sqrt(np.minimum(1.0 / (1.0 - u) ** 2 - 1.0, 4e4))
    phi = rng.uniform(0.0, 2.0 * np.pi, m)
    x[from_source] = SOURCE_XY[0] + r * np.cos(phi)
    y[from_source] = SOURCE_XY[1] + r * np.sin(phi)
    return np.rint(x).astype(np.int64), np.rint(y).astype(np.int64)


def draw_energies(rng: np.random.Generator, n: int) -> np.ndarray:
    """PI in eV: absorbed power law (mostly < 10 keV) plus Al-K and Cu-K lines, with resolution."""
    energy = _power_law(rng, n, 150.0, 20000.0, 1.7)
    # photoelectric absorption: a soft photon survives with probability exp(-(E0/E)^2.6);
    # the absorbed ones are redrawn above 0.7 keV, which keeps the event count fixed.
    absorbed = rng.random(n) >= np.exp(-((400.0 / energy) ** 2.6))
    energy = np.where(absorbed, _power_law(rng, n, 700.0, 20000.0, 1.7), energy)
    line = rng.random(n)
    energy = np.where(line < 0.02, 1486.0, energy)
    energy = np.where((line >= 0.02) & (line < 0.05), 8040.0, energy)
    fwhm = 120.0 * np.sqrt(energy / 1000.0)
    pi = energy + rng.normal(0.0, 1.0, n) * fwhm / 2.355
    return np.clip(np.rint(pi), 0, 20000).astype(np.int64)


def _power_law(rng: np.random.Generator, n: int, lo: float, hi: float, index: float) -> np.ndarray:
    """``n`` energies from a power law ``E**-index`` between ``lo`` and ``hi`` (inverse transform)."""
    a = 1.0 - index
    return (lo**a + rng.random(n) * (hi**a - lo**a)) ** (1.0 / a)


def draw_flags(rng: np.random.Generator, n: int) -> np.ndarray:
    """FLAG: zero for most events, a few independent quality bits otherwise."""
    flag = np.zeros(n, dtype=np.int64)
    for bit, probability in FLAG_BITS:
        flag |= np.where(rng.random(n) < probability, bit, 0)
    return flag


def detector_coordinates(x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    """DETX/DETY (sky offsets rotated by the position angle), then RAWX/RAWY/CCDNR of the pn CCDs.

    The camera is two rows of six 64 x 200 pixel CCDs, one CCD pixel being 82 DET units (4.1").
    """
    angle = np.deg2rad(33.0)
    detx = np.rint(np.cos(angle) * (x - SKY_CENTRE) + np.sin(angle) * (y - SKY_CENTRE))
    dety = np.rint(-np.sin(angle) * (x - SKY_CENTRE) + np.cos(angle) * (y - SKY_CENTRE))
    detx = np.clip(detx, -15743, 15743).astype(np.int64)
    dety = np.clip(dety, -16399, 16399).astype(np.int64)
    column = (detx + 15744) // DET_PER_RAW  # 0..383: six CCDs of 64 columns
    line = (dety + 16400) // DET_PER_RAW    # 0..399: two rows of 200 lines
    return {
        "DETX": detx,
        "DETY": dety,
        "RAWX": 1 + column % 64,
        "RAWY": 1 + line % 200,
        "CCDNR": 1 + column // 64 + 6 * (line // 200),
    }


def make_chunk(rng: np.random.Generator, obs: Observation, start: int, n: int) -> np.ndarray:
    """Rows ``start .. start+n`` of the event list as big-endian records."""
    rows = np.empty(n, dtype=ROW_DTYPE)
    rows["TIME"] = draw_times(rng, obs, start, n)
    x, y = draw_sky(rng, obs, n)
    for name, values in detector_coordinates(x, y).items():
        rows[name] = values
    undefined = rng.random(n) < 1e-4
    rows["X"] = np.where(undefined, SKY_TNULL, x)
    rows["Y"] = np.where(undefined, SKY_TNULL, y)
    pi = draw_energies(rng, n)
    rows["PI"] = pi
    rows["PHA"] = np.clip(np.rint(pi / 4.95 + rng.normal(0.0, 2.0, n)), 0, 4095)
    rows["FLAG"] = draw_flags(rng, n)
    pattern = rng.choice(13, size=n, p=PATTERN_P / PATTERN_P.sum())
    rows["PATTERN"] = pattern
    rows["PAT_ID"] = np.where(pattern == 0, 0, rng.integers(1, 5, n))
    rows["PAT_SEQ"] = np.where(pattern == 0, 0, rng.integers(0, 2, n))
    rows["OFFSETX"] = np.rint(rng.normal(0.0, 4.0, n))
    return rows


def write_event_list(path: str, obs: Observation, seed: int) -> int:
    """Write the event list to ``path`` (atomically); return its size in bytes."""
    rng = np.random.default_rng(seed)
    header = build_events_header(obs)
    if header["NAXIS1"] != ROW_DTYPE.itemsize:
        raise RuntimeError(f"rows of {ROW_DTYPE.itemsize} bytes but NAXIS1 = {header['NAXIS1']}")
    primary = build_primary_header().tostring().encode("ascii")
    events = header.tostring().encode("ascii")
    data_bytes = obs.events * ROW_DTYPE.itemsize
    partial = f"{path}.partial"
    with open(partial, "wb") as out:
        out.write(primary)
        out.write(events)
        out.writelines(make_chunk(rng, obs, start, n).data for start, n in chunk_sizes(obs.events))
        out.write(b"\0" * (-data_bytes % 2880))
    os.replace(partial, path)
    return os.path.getsize(path)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=float, default=2e7, help="number of events (default 2e7)")
    parser.add_argument("--out", default="/tmp/pn_events.fits", help="output FITS file")
    parser.add_argument("--seed", type=int, default=20240501, help="random seed")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Generate the file and print its size and the time taken."""
    args = parse_args(argv)
    obs = Observation(events=int(args.events))
    began = time.perf_counter()
    size = write_event_list(args.out, obs, args.seed)
    elapsed = time.perf_counter() - began
    print(f"wrote {args.out}: {obs.events} events, {size / 1e6:.1f} MB in {elapsed:.1f} s")


if __name__ == "__main__":
    main()
