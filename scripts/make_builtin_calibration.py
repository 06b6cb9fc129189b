"""Regenerate xmmframe's built-in calibration set (``xmmframe/ccf/builtin/``) from public XMM data.

Usage (from the repository root; needs the reference data and ``pip install xraydb``)::

    python scripts/make_builtin_calibration.py [--refdata ../shared/refdata] [--out xmmframe/ccf/builtin]
    python scripts/make_builtin_calibration.py --detector-only     # step 8 and the index only

Every number in the set comes from a file in the reference data (real ESA CCF, real SAS
arfgen/rmfgen outputs), from a stated physical model, or - the detector calibration of step 8,
whose real values are not public - from a seeded stand-in.  The steps:

1. **Mirror area, XRT3 (pn)**: the genuine ``XRT3_XAREAEF_0012.CCF`` is copied unchanged.
2. **Mirror area, XRT1/XRT2 (MOS)**: no MOS mirror CCF is public here.  The MOS telescopes share
   the mirror design but the reflection grating arrays intercept part of the beam; the XMM
   handbook puts the fraction reaching MOS at about 44 %.  XRT1/XRT2 = XRT3 tables x 0.44
   (vignetting and CORRAREA copied).  The split between this factor and the MOS QE is
   arbitrary; their product is fixed by the MOS ARFs (step 5), so ARFs are unaffected.
3. **Filter transmission**: computed from the filter compositions in the XMM handbook with
   X-ray attenuation data from ``xraydb``: Thin = 160 nm polyimide + 40 nm Al, Medium = 160 nm
   polyimide + 80 nm Al, Thick = 330 nm polypropylene + 110 nm Al + 45 nm Sn (Thin2 = Thin1).
   Check printed below: the Medium/Thin ratio of real ARFs vs the model.
4. **pn QE**: ``pn_thin_onaxis.arf`` (arfgen, on-axis, ``modelee=no``, no bad pixels, Thin1
   filter, full frame) divided by the XRT3 on-axis area, the Thin transmission and the
   full-frame out-of-time loss (6.3 %, which arfgen's ``modelootcorr=yes`` applies and our
   arfgen applies per SUBMODE).  Patterns 0-4.  No public file separates singles from
   doubles except one singles-only ARF, so the single-event fraction comes from it (step 7b).  The result is an *effective* QE: it absorbs whatever else
   arfgen applied, and slightly exceeds 1 between 1 and 8 keV (the pn QE is close to 1 there).
5. **MOS QE**: ``jaxspec/MOS{1,2}.arf`` (arfgen 1.98.3, Medium, point source, circle of 40"
   at 2.1' off axis; patterns 0-12) divided by the XRT1/2 area, the vignetting at that angle,
   the Medium transmission and the King encircled energy of the 40" circle (step 6).
   Includes the MOS contamination of 2012.
6. **PSF (King)**: rc = a + b E + c theta + d E theta (arcsec), alpha = X + Y E + Z theta +
   W E theta (E keV, theta arcmin), with the coefficients of the EPIC PSF calibration notes
   (pn: 6.636 -0.305 -0.175 -0.0067 / 1.525 -0.015 -0.012 -0.001; MOS1: 5.074 -0.236 0.002
   -0.0180 / 1.472 -0.010 -0.001 -0.0016; MOS2: 4.759 -0.203 0.014 -0.0229 / 1.411 -0.005
   -0.001 -0.0002), tabulated on 0.1-15 keV x 0-15 arcmin.
7. **Redistribution**: line profiles measured from real RMFs at ~64 reference energies:
   pn singles from ``gammapy-mwl/xmm_pn_0605960101.rmf`` (rmfgen, PATTERN==0, 2010), pn
   doubles from ``sherpa-test-data/epn_ff20_dY9.rmf`` (canned, 2002), pn singles+doubles from
   ``jaxspec/PN.rmf`` (rmfgen, 2012) for issue 1 (valid from 2000) and from the canned
   ``epn_e3_ff20_sdY9_v19.0.rmf`` (epoch e3, 2014-2021) for issue 2 (valid from 2014-01-01);
   MOS from ``gammapy-mwl/xmm_mos{1,2}_0605960101.rmf`` (patterns 0-12, 15-eV channels).
   Each profile keeps native channel resolution within 3 FWHM of the peak and sums groups of
   8 channels elsewhere.  The PI-to-energy scale and the default energy grid are those of the
   source RMFs (``EBOUNDS`` and ``ENERG_LO/HI``).
7b. **pn single-event fraction**: ``gammapy-mwl/xmm_pn_0605960101.arf`` (arfgen 1.77.2,
   PATTERN==0, extended source, flat detector map over a DETX/DETY annulus of 15"-2.5',
   Medium) divided by xmmframe's own arfgen of the same spectrum with patterns 0-4 and the
   steps above, median-smoothed over 31 energy bins and clipped to [0, 1], is written as
   ``SINGLE_FRACTION`` of ``EPN_QUANTUMEF``.  (The same division for the MOS1 annulus ARF of
   that observation, where no pattern issue arises, agrees to within 8 % over 0.5-8 keV, which
   bounds the geometric part of this estimate; it also absorbs that ARF's bad-pixel loss.)
8. **Detector calibration** ``<camera>_ADUCONV``, ``<camera>_CTI`` and ``<camera>_BADPIX`` (layouts
   in ``xmmframe.ccf.gain`` and ``xmmframe.ccf.badpix``): not measured - the real values are
   not public - but a fixed, seeded stand-in (:func:`stand_in_calibration`): pn gains 5.0 eV/adu
   x (1 + 1.5 % noise) per CCD and RAWX column ([CALPN6] normalisation), residual offsets of
   1-3 adu on 10 % of the columns, CTI 6e-5 x (1 + 0.2 u) per CCD at 1 keV with index 0.25,
   event threshold 20 adu, MIP threshold 3000 adu, read noise 18 eV; MOS gains 3.4 eV/adu
   x (1 + 2 % noise) per CCD (from PHA/PI of a real PPS MOS list), no offsets, CTI 2e-5
   x (1 + 0.2 u), thresholds 25 and 4095 adu, read noise 11 eV; per CCD three hot pixels from
   the CCF, one uplinked hot pixel and, on every third CCD, a dead column segment.  The
   simulator applies these forward and epproc/emproc invert them.  ``--detector-only`` rewrites
   just these files and the master index (no reference data needed).
9. **Master index** ``XMM_CALINDEX_0001.CCF`` lists every file with VALDATE, size and MD5.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from xmmframe.ccf.badpix import FROM_CCF, UPLINKED, write_badpix  # noqa: E402
from xmmframe.ccf.ccf_file import write_ccf  # noqa: E402
from xmmframe.ccf.cif import calindex_table  # noqa: E402
from xmmframe.ccf.gain import EnergyScale, write_energy_scale  # noqa: E402
from xmmframe.ccf.psf import king_encircled  # noqa: E402
from xmmframe.ccf.xareaef import read_xareaef  # noqa: E402
from xmmframe.io.responses import read_arf, read_rmf  # noqa: E402
from xmmframe.proc.calibration import DEAD, HOT, DetectorCalibration  # noqa: E402
from xmmframe.model.geometry import camera  # noqa: E402

#: Fixed dates so that regenerating gives identical files.
BUILD_DATE = "2026-01-01T00:00:00"
MISSION_START = "2000-01-01T00:00:00"
MOS_GRATING_FRACTION = 0.44
PN_OOT_FULL_FRAME = 0.063
KING = {  # a, b, c, d, X, Y, Z, W
    "XRT3": (6.636, -0.305, -0.175, -0.0067, 1.525, -0.015, -0.012, -0.001),
    "XRT1": (5.074, -0.236, 0.002, -0.0180, 1.472, -0.010, -0.001, -0.0016),
    "XRT2": (4.759, -0.203, 0.014, -0.0229, 1.411, -0.005, -0.001, -0.0002),
}
FILTERS = {
    "THIN1": [("C22H10N2O5", 1.43, 160e-7), ("Al", 2.70, 40e-7)],
    "MEDIUM": [("C22H10N2O5", 1.43, 160e-7), ("Al", 2.70, 80e-7)],
    "THICK": [("C3H6", 0.90, 330e-7), ("Al", 2.70, 110e-7), ("Sn", 7.31, 45e-7)],
}
EDGES_KEV = (0.284, 0.41, 0.532, 1.56, 1.839, 2.2, 2.3)


def _issue_tables(energy_ev: np.ndarray) -> tuple[str, pl.DataFrame, dict]:
    return "EBINS", pl.DataFrame({"ENERGY": energy_ev.astype(np.float32)}), {"TUNIT1": "eV"}


def make_mirrors(ref: Path, out: Path) -> None:
    """Steps 1-2."""
    real = ref / "xmm-epicpn-simulator" / "XRT3_XAREAEF_0012.CCF"
    shutil.copyfile(real, out / real.name)
    xrt3 = read_xareaef(real)
    for scope in ("XRT1", "XRT2"):
        write_ccf(
            out / f"{scope}_XAREAEF_0001.CCF", scope, "XAREAEF", 1, MISSION_START,
            [
                ("ONAXISXAREAEF", pl.DataFrame({"ENERGY": xrt3.energy.astype(np.float32),
                                                "AREA": (xrt3.area * MOS_GRATING_FRACTION).astype(np.float32)}),
                 {"TUNIT1": "eV", "TUNIT2": "cm2"}),
                ("VIGNETTING", pl.DataFrame({"ENERGY": xrt3.vignetting_energy.astype(np.float32),
                                             "VIGNETTING_FACTOR": xrt3.vignetting.astype(np.float32)}),
                 {"TUNIT1": "eV", "D_THETA": xrt3.d_theta}),
                ("CORRAREA", pl.DataFrame({"ENERGY": xrt3.correction_energy.astype(np.float32),
                                           "FACTOR": xrt3.correction.astype(np.float32)}), {"TUNIT1": "eV"}),
            ],
            "Mirror effective area (xmmframe: XRT3 x 0.44)", [
                f"Derived from XRT3_XAREAEF_0012.CCF: ONAXISXAREAEF AREA x {MOS_GRATING_FRACTION} (fraction of the beam "
                "reaching MOS behind the RGA); VIGNETTING and CORRAREA copied. Not an ESA file."],
            BUILD_DATE,
        )


def filter_transmissions(energy_ev: np.ndarray) -> dict[str, np.ndarray]:
    """Step 3: transmission of each filter from its layers (formula, density g/cm3, thickness cm)."""
    import xraydb

    result = {}
    for name, layers in FILTERS.items():
        tau = np.zeros_like(energy_ev)
        for formula, density, thickness in layers:
            tau += xraydb.material_mu(formula, energy_ev, density=density) * thickness
        result[name] = np.exp(-tau)
    result["THIN2"] = result["THIN1"]
    return result


def king_parameters(scope: str, energy_kev: np.ndarray, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Step 6: King rc (arcsec) and alpha on a grid ``(energy, theta)``."""
    a, b, c, d, x, y, z, w = KING[scope]
    e = energy_kev[:, None]
    t = theta[None, :]
    rcore = np.maximum(a + b * e + c * t + d * e * t, 0.5)
    alpha = np.maximum(x + y * e + z * t + w * e * t, 1.05)
    return rcore, alpha


def encircled(scope: str, radius: float, energy_kev: np.ndarray, theta: float) -> np.ndarray:
    rcore, alpha = king_parameters(scope, energy_kev, np.array([theta]))
    return (king_encircled(radius, rcore, alpha) / king_encircled(300.0, rcore, alpha))[:, 0]


def make_filters_psf(out: Path) -> dict[str, np.ndarray]:
    """Steps 3 and 6: FILTERTRANSX per camera and XPSF per telescope."""
    grid = np.unique(np.concatenate([np.geomspace(100.0, 20000.0, 900),
                                     np.concatenate([[e * 999.0, e * 1001.0] for e in EDGES_KEV])]))
    transmissions = filter_transmissions(grid)
    tables = [_issue_tables(grid)] + [
        (f"FILTER-{name}", pl.DataFrame({"TRANSMISSION": transmissions[name].astype(np.float32)}), {})
        for name in ("THIN1", "THIN2", "MEDIUM", "THICK")
    ]
    for scope in ("EPN", "EMOS1", "EMOS2"):
        write_ccf(out / f"{scope}_FILTERTRANSX_0001.CCF", scope, "FILTERTRANSX", 1, MISSION_START, tables,
                  "Filter transmission (xmmframe physical model)", [
                      "Thin1/Thin2 = 160 nm polyimide + 40 nm Al; Medium = 160 nm polyimide + 80 nm Al; Thick = 330 nm "
                      "polypropylene + 110 nm Al + 45 nm Sn (XMM handbook); attenuation from xraydb. Not an ESA file."],
                  BUILD_DATE)
    energies = np.geomspace(0.1, 15.0, 40)
    theta = np.arange(0.0, 16.0, 1.0)
    for scope in ("XRT1", "XRT2", "XRT3"):
        rcore, alpha = king_parameters(scope, energies, theta)
        write_ccf(out / f"{scope}_XPSF_0001.CCF", scope, "XPSF", 1, MISSION_START, [
            ("KING_PARAMS", pl.DataFrame({"ENERGY": (energies * 1000).astype(np.float32),
                                          "RCORE": rcore.astype(np.float32), "ALPHA": alpha.astype(np.float32)}),
             {"TUNIT1": "eV", "TUNIT2": "arcsec", "D_THETA": 1.0, "EE_NORM": 300.0})],
            "King PSF parameters (xmmframe)", [
                "rc = a + b E + c theta + d E theta, alpha = X + Y E + Z theta + W E theta with the coefficients of "
                f"the EPIC PSF calibration notes: {KING[scope]}. Not an ESA file."], BUILD_DATE)
    return transmissions | {"_GRID": grid}


def _smooth_ratio(arf_path: Path, denominator) -> tuple[np.ndarray, np.ndarray]:
    arf = read_arf(arf_path)
    energy = arf.energy
    den = denominator(energy)
    ratio = np.where(den > 0, arf.specresp / np.where(den > 0, den, 1.0), 0.0)
    return energy * 1000.0, np.clip(ratio, 0.0, 1.5)


def make_qe(ref: Path, out: Path, filters: dict[str, np.ndarray]) -> None:
    """Steps 4-5."""
    grid = filters["_GRID"]
    xrt3 = read_xareaef(out / "XRT3_XAREAEF_0012.CCF")

    def transmission(name: str, e_kev: np.ndarray) -> np.ndarray:
        return np.interp(e_kev * 1000.0, grid, filters[name])

    energy, qe = _smooth_ratio(ref / "xmm-epicpn-simulator" / "pn_thin_onaxis.arf",
                               lambda e: xrt3.on_axis_area(e) * transmission("THIN1", e) * (1 - PN_OOT_FULL_FRAME))
    write_ccf(out / "EPN_QUANTUMEF_0001.CCF", "EPN", "QUANTUMEF", 1, MISSION_START, [
        _issue_tables(energy), ("QE_TOTAL", pl.DataFrame({"QE": qe.astype(np.float32)}), {"PATTERNS": "0:4"})],
        "Quantum efficiency (xmmframe, from arfgen ARF)", [
            "QE = pn_thin_onaxis.arf (arfgen 1.98.3, on-axis, modelee=no) / XRT3_XAREAEF_0012 area / Thin1 "
            f"transmission / (1 - {PN_OOT_FULL_FRAME}) full-frame out-of-time loss. Not an ESA file."], BUILD_DATE)
    region = {"jaxspec/MOS1.arf": (24800.615, 28194.923, 800.0), "jaxspec/MOS2.arf": (24800.615, 28194.923, 800.0)}
    for number in (1, 2):
        mirror = read_xareaef(out / f"XRT{number}_XAREAEF_0001.CCF")
        x, y, r = region[f"jaxspec/MOS{number}.arf"]
        theta = float(np.hypot(x - 25921.0, y - 25921.0) * 0.05 / 60.0)
        energy, qe = _smooth_ratio(
            ref / "jaxspec" / f"MOS{number}.arf",
            lambda e, m=mirror, t=theta, s=f"XRT{number}": m.on_axis_area(e) * m.vignetting_factor(e, t)
            * transmission("MEDIUM", e) * encircled(s, r * 0.05, e, t))
        write_ccf(out / f"EMOS{number}_QUANTUMEF_0001.CCF", f"EMOS{number}", "QUANTUMEF", 1, MISSION_START, [
            _issue_tables(energy), ("QE_TOTAL", pl.DataFrame({"QE": qe.astype(np.float32)}), {"PATTERNS": "0:12"})],
            "Quantum efficiency (xmmframe, from arfgen ARF)", [
                f"QE = jaxspec MOS{number}.arf (arfgen 1.98.3, Medium, 40 arcsec circle at {theta:.2f} arcmin) / "
                f"XRT{number} area / vignetting / Medium transmission / King EE(40 arcsec). Not an ESA file."],
            BUILD_DATE)


# ------------------------------------------------------------------------------ redistribution


def _profile(row: np.ndarray, step: float) -> tuple[float, float, np.ndarray, np.ndarray]:
    """PEAK_PI, FIRST_PI, WIDTHS, PROFILE of one dense RMF row on native channels of ``step`` eV."""
    row = row / row.sum()
    k = int(np.argmax(row))
    if 0 < k < row.size - 1:
        y0, y1, y2 = row[k - 1 : k + 2]
        denom = y0 - 2 * y1 + y2
        delta = 0.5 * (y0 - y2) / denom if denom < 0 else 0.0
    else:
        delta = 0.0
    peak = (k + 0.5 + delta) * step
    half = row[k] / 2
    above = np.nonzero(row >= half)[0]
    fwhm = max(int(above[-1] - above[0] + 1), 1)
    nonzero = np.nonzero(row > 0)[0]
    first, last = int(nonzero[0]), int(nonzero[-1]) + 1
    core_lo, core_hi = max(first, k - 3 * fwhm), min(last, k + 3 * fwhm + 1)
    widths, values = [], []
    for lo, hi, group in ((first, core_lo, 8), (core_lo, core_hi, 1), (core_hi, last, 8)):
        for start in range(lo, hi, group):
            stop = min(start + group, hi)
            widths.append(stop - start)
            values.append(row[start:stop].sum())
    return peak, first * step, np.array(widths, dtype=np.uint8), np.array(values, dtype=np.float32)


def _reference_rows(rmf_energy: np.ndarray, sums: np.ndarray, count: int = 64) -> np.ndarray:
    valid = np.nonzero(sums > 0.5)[0]
    lo, hi = rmf_energy[valid[0]], rmf_energy[valid[-1]]
    targets = np.concatenate([np.geomspace(max(lo, 0.1), hi, count),
                              np.concatenate([[e * 0.995, e * 1.005] for e in EDGES_KEV])])
    targets = targets[(targets >= lo) & (targets <= hi)]
    candidates = valid
    rows = candidates[np.abs(rmf_energy[candidates][None, :] - targets[:, None]).argmin(axis=1)]
    return np.unique(rows)


def profile_table(path: Path, patterns: str) -> tuple[pl.DataFrame, dict]:
    rmf = read_rmf(path)
    step = float(round((rmf.e_max[-1] - rmf.e_min[0]) / rmf.detchans * 1000.0))
    energy = 0.5 * (rmf.energ_lo + rmf.energ_hi)
    rows = _reference_rows(energy, rmf.row_sums())
    entries = [_profile(rmf.to_dense(slice(i, i + 1))[0], step) for i in rows]
    frame = pl.DataFrame({
        "ENERGY": energy[rows].astype(np.float32),
        "PEAK_PI": np.array([e[0] for e in entries], dtype=np.float32),
        "FIRST_PI": np.array([e[1] for e in entries], dtype=np.float32),
        "WIDTHS": pl.Series([e[2] for e in entries], dtype=pl.List(pl.UInt8)),
        "PROFILE": pl.Series([e[3] for e in entries], dtype=pl.List(pl.Float32)),
    })
    return frame, {"PATTERNS": patterns, "PI_STEP": step, "TUNIT1": "keV", "TUNIT2": "eV", "TUNIT3": "eV",
                   "SOURCE": path.name}


def scale_and_grid(path: Path) -> list[tuple[str, pl.DataFrame, dict]]:
    rmf = read_rmf(path)
    step = (rmf.e_max[-1] - rmf.e_min[0]) / rmf.detchans * 1000.0
    pi = np.round(np.arange(rmf.detchans + 1) * step).astype(np.int32)
    energy = np.concatenate([rmf.e_min, rmf.e_max[-1:]])
    return [
        ("BINNEDPI_EBOUNDS", pl.DataFrame({"PI": pi, "ENERGY": energy.astype(np.float32)}),
         {"TUNIT1": "eV", "TUNIT2": "keV", "SOURCE": path.name}),
        ("EBINS", pl.DataFrame({"ENERG_LO": rmf.energ_lo.astype(np.float32), "ENERG_HI": rmf.energ_hi.astype(np.float32)}),
         {"TUNIT1": "keV", "TUNIT2": "keV", "SOURCE": path.name}),
    ]


def make_redist(ref: Path, out: Path) -> None:
    """Step 7."""
    v19 = ref / "xmm-epicpn-simulator" / "epn_e3_ff20_sdY9_v19.0.rmf"
    singles = profile_table(ref / "gammapy-mwl" / "xmm_pn_0605960101.rmf", "0")
    doubles = profile_table(ref / "sherpa-test-data" / "epn_ff20_dY9.rmf", "1:4")
    issues = {
        1: (MISSION_START, ref / "jaxspec" / "PN.rmf"),
        2: ("2014-01-01T00:00:00", v19),
    }
    for issue, (valdate, sd_source) in issues.items():
        both = profile_table(sd_source, "0:4")
        write_ccf(out / f"EPN_REDIST_{issue:04d}.CCF", "EPN", "REDIST", issue, valdate, scale_and_grid(v19) + [
            ("PROFILES-SINGLE", *singles), ("PROFILES-DOUBLE", *doubles), ("PROFILES-SINGLE_DOUBLE", *both)],
            "Redistribution profiles (xmmframe, from SAS RMFs)", [
                f"Line profiles measured from real RMFs: singles {singles[1]['SOURCE']}, doubles "
                f"{doubles[1]['SOURCE']}, singles+doubles {both[1]['SOURCE']}; PI scale and energy grid from "
                f"{v19.name}. Not an ESA file."], BUILD_DATE)
    for number in (1, 2):
        source = ref / "gammapy-mwl" / f"xmm_mos{number}_0605960101.rmf"
        profiles = profile_table(source, "0:12")
        write_ccf(out / f"EMOS{number}_REDIST_0001.CCF", f"EMOS{number}", "REDIST", 1, MISSION_START,
                  scale_and_grid(source) + [("PROFILES-ALL", *profiles)],
                  "Redistribution profiles (xmmframe, from SAS RMFs)",
                  [f"Line profiles, PI scale and energy grid measured from {source.name}. Not an ESA file."],
                  BUILD_DATE)


def make_single_fraction(ref: Path, out: Path) -> None:
    """Step 7b."""
    from xmmframe.ccf.access import Calibration
    from xmmframe.ccf.ccf_file import ccf_table
    from xmmframe.products.arf import arfgen

    cal = Calibration.open(ccfpath=[out], observation_date="2010-04-22T11:11:10")
    spectrum = ref / "gammapy-mwl" / "xmm_pn_0605960101_src.pha"
    real = read_arf(ref / "gammapy-mwl" / "xmm_pn_0605960101.arf")
    model = arfgen(spectrum, calibration=cal, extended=True, patterns=range(0, 5))
    modelled = np.interp(real.energy, model.energy, model.specresp)
    ratio = np.where(modelled > 0, real.specresp / np.where(modelled > 0, modelled, 1.0), np.nan)
    valid = np.isfinite(ratio) & (real.energy > 0.15) & (real.energy < 14.0)
    padded = np.pad(ratio[valid], 15, mode="edge")
    smooth = np.median(np.lib.stride_tricks.sliding_window_view(padded, 31), axis=1)
    path = out / "EPN_QUANTUMEF_0001.CCF"
    bins, _ = ccf_table(path, "EBINS", ("ENERGY",))
    qe, header = ccf_table(path, "QE_TOTAL", ("QE",))
    energy = bins["ENERGY"].to_numpy().astype(np.float64)
    fraction = np.clip(np.interp(energy, real.energy[valid] * 1000.0, smooth), 0.0, 1.0)
    write_ccf(path, "EPN", "QUANTUMEF", 1, MISSION_START, [
        _issue_tables(energy), ("QE_TOTAL", qe.with_columns(pl.Series("SINGLE_FRACTION", fraction.astype(np.float32))),
                                {"PATTERNS": header["PATTERNS"]})],
        "Quantum efficiency (xmmframe, from arfgen ARFs)", [
            "QE = pn_thin_onaxis.arf (arfgen 1.98.3, on-axis, modelee=no) / XRT3_XAREAEF_0012 area / Thin1 "
            f"transmission / (1 - {PN_OOT_FULL_FRAME}) full-frame out-of-time loss. SINGLE_FRACTION = "
            "xmm_pn_0605960101.arf (PATTERN==0) / xmmframe arfgen of its spectrum with patterns 0-4, "
            "median-smoothed. Not an ESA file."], BUILD_DATE)


# ------------------------------------------------------------------------------ detector calibration


def _stand_in_bad_pixels(instrument: str, rng: np.random.Generator) -> pl.DataFrame:
    cam = camera(instrument)
    nx, ny = cam.shape
    rows = []
    for ccd in cam.ccds:
        for _ in range(3):  # hot pixels known to the CCF
            rows.append((ccd, int(rng.integers(2, nx)), int(rng.integers(14, ny)), HOT, 1, FROM_CCF))
        rows.append((ccd, int(rng.integers(2, nx)), int(rng.integers(14, ny)), HOT, 1, UPLINKED))
        if ccd % 3 == 1:  # a dead column segment
            y0 = int(rng.integers(20, ny // 2))
            rows.append((ccd, int(rng.integers(2, nx)), y0, DEAD, int(rng.integers(5, 40)), FROM_CCF))
    frame = pl.DataFrame(
        rows,
        schema={"CCDNR": pl.UInt8, "RAWX": pl.Int16, "RAWY": pl.Int16, "TYPE": pl.Int16, "YEXTENT": pl.Int16,
                "BADFLAG": pl.Int16},
        orient="row",
    )
    return frame.unique(["CCDNR", "RAWX", "RAWY"], keep="first", maintain_order=True)


def stand_in_calibration(instrument: str) -> DetectorCalibration:
    """Step 8: the seeded detector calibration of ``EPN``, ``EMOS1`` or ``EMOS2`` (row 0, no CCD, is zero).

    Examples
    --------
    >>> stand_in_calibration("EPN").gain.shape
    (13, 64)
    """
    cam = camera(instrument)
    name = cam.instrument
    rng = np.random.default_rng({"EPN": 1701, "EMOS1": 1702, "EMOS2": 1703}[name])
    nccd = max(cam.ccds) + 1
    nx = cam.shape[0]
    if name == "EPN":
        gain = 5.0 * (1.0 + 0.015 * rng.standard_normal((nccd, nx)))
        offset = np.where(rng.random((nccd, nx)) < 0.1, rng.integers(1, 4, (nccd, nx)), 0).astype(np.float64)
        cti = 6e-5 * (1.0 + 0.2 * rng.random(nccd))
        noise, event, mip = 18.0, 20, 3000
    else:
        gain = np.repeat((3.4 * (1.0 + 0.02 * rng.standard_normal(nccd)))[:, None], nx, axis=1)
        offset = np.zeros((nccd, nx))
        cti = 2e-5 * (1.0 + 0.2 * rng.random(nccd))
        noise, event, mip = 11.0, 25, 4095
    bad = _stand_in_bad_pixels(name, rng)
    gain[0], offset[0], cti[0] = 0.0, 0.0, 0.0
    return DetectorCalibration(name, gain, offset, cti, 0.25, noise, event, mip, bad)


def make_detector(out: Path) -> None:
    """Step 8: ADUCONV, CTI and BADPIX of each camera."""
    note = ("Seeded stand-in of scripts/make_builtin_calibration.py (stand_in_calibration): the real EPIC gain, "
            "offset, CTI and bad-pixel calibration is not public. Not an ESA file.")
    for instrument in ("EPN", "EMOS1", "EMOS2"):
        cal = stand_in_calibration(instrument)
        ccds = np.array(camera(instrument).ccds)
        scale = EnergyScale(ccds, cal.gain[ccds], cal.offset[ccds], cal.cti_1kev[ccds], cal.cti_index,
                            cal.event_threshold, cal.mip_threshold, cal.read_noise)
        write_energy_scale(scale, out, instrument, 1, MISSION_START, [note], BUILD_DATE)
        write_badpix(cal.bad_pixels.rename({"CCDNR": "CCDID"}), out, instrument, 1, MISSION_START, [note], BUILD_DATE)


def make_master_index(out: Path) -> None:
    """Step 9."""
    from xmmframe.ccf.cifbuild import scan_repository

    for old in out.glob("XMM_CALINDEX_*.CCF"):
        old.unlink()
    entries = scan_repository([out])
    md5 = [hashlib.md5((out / name).read_bytes()).hexdigest() for name in entries["FNAME"]]
    frame = calindex_table(entries.with_columns(pl.Series("MD5", md5), pl.col("SUBDATE").fill_null(BUILD_DATE)))
    write_ccf(out / "XMM_CALINDEX_0001.CCF", "XMM", "CALINDEX", 1, MISSION_START, [("CALINDEX", frame, {})],
              "Master index of the xmmframe built-in calibration set", [], BUILD_DATE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refdata", type=Path, default=ROOT.parent / "shared" / "refdata")
    parser.add_argument("--out", type=Path, default=ROOT / "xmmframe" / "ccf" / "builtin")
    parser.add_argument("--detector-only", action="store_true",
                        help="rewrite only the ADUCONV, CTI and BADPIX CCFs and the master index")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.detector_only:
        for old in args.out.glob("*.CCF"):
            old.unlink()
        make_mirrors(args.refdata, args.out)
        filters = make_filters_psf(args.out)
        make_qe(args.refdata, args.out, filters)
        make_redist(args.refdata, args.out)
        make_single_fraction(args.refdata, args.out)
    make_detector(args.out)
    make_master_index(args.out)
    total = sum(p.stat().st_size for p in args.out.glob("*.CCF"))
    for path in sorted(args.out.glob("*.CCF")):
        print(f"{path.name:32s} {path.stat().st_size:9d} bytes")
    print(f"total {total / 1e6:.2f} MB in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
