"""Spectral grouping as SAS specgroup and HEASoft grppha do: GROUPING and QUALITY columns.

A group is a run of adjacent channels; ``GROUPING`` is ``+1`` on its first channel and ``-1``
on the others, ``QUALITY`` is 0 for good channels (OGIP/92-007).  The rules, in order:

1. **Bad channels** (``setbad``): ``'CCF'`` marks the channels outside the camera's valid PI
   range bad (``QUALITY = 1``): pn 100-15000 eV, MOS 110-9990 eV, a channel being good when its
   whole nominal PI range ``[channel_min + k*bin, channel_min + (k+1)*bin)`` lies inside.  These
   limits reproduce the QUALITY columns of the specgroup 1.7 (SAS 18) spectra in
   ``refdata/jaxspec`` exactly (the XMM_SPECQUAL CCF SAS reads is not public).  ``'no'`` sets
   nothing bad; a range text (``'0:10,790:799'``, channels or keV with ``units='KEV'``) sets those.
   Bad channels are left out of every group (each is its own group, ``GROUPING = 1``).
2. **Regular bins** (``regbin=(start, end, width)``, 1-based positions as SAS's
   ``regbinstart/regbinend/regbinwid``): groups of ``width`` channels, good quality (this
   takes precedence over bad channels); the statistical grouping then covers the rest.
3. **Statistical grouping** over each run of consecutive good channels inside ``ranges`` (all
   channels without ranges), from low to high channels (``hightolow`` reverses it): a group
   grows channel by channel until it satisfies the statistic and, with ``oversample``, is at
   least ``FWHM(E_c)/oversample`` wide in energy (``E_c`` its centre energy; widths from the
   channel energies of ``rmf`` -- its EBOUNDS -- or the nominal PI scale):

   * ``mincounts``: source counts ``S >= mincounts`` (source + background counts, as grppha's
     ``group min``);
   * ``min_sn``: ``(S - B*n) / sqrt(S + B*n^2) >= min_sn`` with ``B`` the background counts and
     ``n`` the area/exposure normalisation ``(BACKSCAL*EXPOSURE*AREASCAL)_src / (...)_bkg``;
   * ``ratio_above_background``: ``(S - B*n) / (B*n) >= ratio``.

4. **Left-over channels** at the end of a run that never satisfy the statistic (``lastbin``):
   ``'addtogroup'`` (SAS default) adds them to the adjacent group; ``'setbad'`` leaves each as
   its own group with ``QUALITY = 2``, which is what grppha's ``group min N`` does;
   ``'owngroup'`` makes them one group of good quality.  A run without any complete group
   becomes one group (``addtogroup``/``owngroup``) or bad channels (``setbad``).

Checked against real grouped spectra in ``refdata``: grppha ``group min 15`` on the sherpa
MNLup MOS1 spectrum (every GROUPING and QUALITY value), specgroup ``mincounts=20
oversample=3`` on the jaxspec pn/MOS spectra (QUALITY exact; group boundaries where the
FWHM does not decide them; see the tests for the numbers).

Examples
--------
>>> import numpy as np
>>> from xmmframe.products.grouping import group_channels
>>> g = group_channels(np.array([3, 4, 0, 9, 1, 1]), mincounts=5, lastbin="setbad")
>>> g.grouping.tolist(), g.quality.tolist()
([1, -1, 1, -1, 1, 1], [0, 0, 0, 0, 2, 2])
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

import numba
import numpy as np

from xmmframe.errors import ParameterError, ProductError
from xmmframe.model.products import Spectrum
from xmmframe.model.registry import register
from xmmframe.model.responses import Rmf
from xmmframe.products.context import ProductContext
from xmmframe.products.resolution import calibration_resolution, rmf_resolution

#: Valid PI range (eV) of each camera for ``setbad='CCF'`` (inferred from specgroup 1.7 output).
VALID_PI = {"EPN": (100.0, 15000.0), "EMOS1": (110.0, 9990.0), "EMOS2": (110.0, 9990.0)}
LASTBIN = ("addtogroup", "setbad", "owngroup")
#: QUALITY of channels set bad by ``setbad`` and of left-over channels with ``lastbin='setbad'``.
QUALITY_SETBAD, QUALITY_LEFTOVER = 1, 2


@dataclass(frozen=True)
class Grouping:
    """GROUPING (+1 group start, -1 continuation) and QUALITY flags of a spectrum.

    Examples
    --------
    >>> Grouping(np.array([1, -1, 1]), np.zeros(3, np.int16)).group_starts.tolist()
    [0, 2]
    """

    grouping: np.ndarray
    quality: np.ndarray

    @property
    def group_starts(self) -> np.ndarray:
        """Indices of the first channel of each group."""
        return np.nonzero(self.grouping == 1)[0]

    @property
    def n_groups(self) -> int:
        """Number of groups (bad single channels included)."""
        return int(np.sum(self.grouping == 1))

    def sums(self, values: np.ndarray) -> np.ndarray:
        """Per-group sums of a per-channel array."""
        return np.add.reduceat(np.asarray(values, np.float64), self.group_starts)


@numba.njit(cache=True)
def _group_run(src, bkg, norm, lo, hi, fwhm_e, fwhm_v, oversample, mode, threshold):
    """Statistical groups of channels ``0..n-1`` (one run): per channel, the index of its group
    (0, 1, ...) or -1 for left-over channels.  ``mode``: 0 none, 1 counts, 2 S/N, 3 ratio."""
    n = src.size
    label = np.full(n, -1, dtype=np.int64)
    start = 0
    group = 0
    while start < n:
        s_sum = 0.0
        b_sum = 0.0
        done = False
        end = start
        while end < n:
            s_sum += src[end]
            b_sum += bkg[end]
            ok = True
            if mode == 1:
                ok = s_sum >= threshold
            elif mode == 2:
                var = s_sum + b_sum * norm * norm
                ok = var > 0 and (s_sum - b_sum * norm) / np.sqrt(var) >= threshold
            elif mode == 3:
                net = s_sum - b_sum * norm
                ok = (b_sum * norm > 0 and net / (b_sum * norm) >= threshold) or (b_sum * norm == 0 and net > 0)
            if ok and oversample > 0:
                width = abs(hi[end] - lo[start])
                centre = 0.5 * (hi[end] + lo[start])
                ok = width >= np.interp(centre, fwhm_e, fwhm_v) / oversample
            if ok:
                done = True
                break
            end += 1
        if not done:
            break
        for k in range(start, end + 1):
            label[k] = group
        group += 1
        start = end + 1
    return label


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """``(first, last)`` of each run of True values."""
    if not mask.any():
        return []
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    change = np.diff(padded)
    return list(zip(np.nonzero(change == 1)[0], np.nonzero(change == -1)[0] - 1))


def group_channels(
    counts: np.ndarray,
    *,
    quality: np.ndarray | None = None,
    mincounts: float | None = None,
    min_sn: float | None = None,
    ratio_above_background: float | None = None,
    background: np.ndarray | None = None,
    background_norm: float = 1.0,
    oversample: float | None = None,
    resolution: Any = None,
    e_min: np.ndarray | None = None,
    e_max: np.ndarray | None = None,
    regbin: tuple[int, int, int] | None = None,
    ranges: list[tuple[int, int]] | None = None,
    hightolow: bool = False,
    lastbin: str = "addtogroup",
) -> Grouping:
    """Group channels (see the module description for the rules).

    Parameters
    ----------
    counts : numpy.ndarray
        Source counts per channel.
    quality : numpy.ndarray, optional
        Channels with non-zero quality are left out of the groups.
    mincounts, min_sn, ratio_above_background : float, optional
        The statistic (at most one).
    background, background_norm
        Background counts per channel and their normalisation to the source (S/N and ratio).
    oversample : float, optional
        Minimum group width in units of FWHM/oversample; needs ``resolution`` (FWHM in keV
        as a function of energy in keV) and the channel energies ``e_min``/``e_max`` (keV).
    regbin : (int, int, int), optional
        Regular groups (1-based first and last position, width) made before the statistics.
    ranges : list of (int, int), optional
        Channel index ranges (inclusive) to group; others stay single good channels.
    hightolow : bool
        Group from the highest channel down.
    lastbin : str
        ``addtogroup``, ``setbad`` or ``owngroup``.

    Raises
    ------
    ParameterError
        For more than one statistic, no criterion at all, or a bad ``lastbin``.
    """
    counts = np.asarray(counts, dtype=np.float64)
    n = counts.size
    stats = [(1, mincounts), (2, min_sn), (3, ratio_above_background)]
    chosen = [(m, v) for m, v in stats if v is not None]
    if len(chosen) > 1:
        raise ParameterError("specgroup: give only one of mincounts, minSN and ratioabovebgnd")
    if lastbin not in LASTBIN:
        raise ParameterError(f"specgroup: lastbin must be one of {', '.join(LASTBIN)}, got {lastbin!r}")
    mode, threshold = chosen[0] if chosen else (0, 0.0)
    if mode in (2, 3) and background is None:
        raise ParameterError("specgroup: minSN and ratioabovebgnd need a background spectrum (backgndset)")
    over = float(oversample or 0.0)
    if over < 0:
        raise ParameterError(f"specgroup: oversample must be positive, got {oversample}")
    if mode == 0 and over == 0 and regbin is None:
        raise ParameterError("specgroup: nothing to group by (give mincounts, minSN, ratioabovebgnd, oversample "
                             "or regular bins)")
    if over > 0 and (resolution is None or e_min is None or e_max is None):
        raise ParameterError("specgroup: oversample needs the energy resolution and the channel energies")
    quality_out = np.zeros(n, np.int16) if quality is None else np.asarray(quality).astype(np.int16).copy()
    grouping = np.ones(n, np.int16)
    free = quality_out == 0
    if regbin is not None:
        first, last, width = regbin
        if width < 1 or first < 1 or last < first:
            raise ParameterError(f"specgroup: bad regular binning {regbin}")
        for a in range(first - 1, min(last, n), width):
            b = min(a + width, last, n)
            grouping[a + 1:b] = -1
            quality_out[a:b] = 0
            free[a:b] = False
    if ranges is not None:
        inside = np.zeros(n, dtype=bool)
        for a, b in ranges:
            inside[max(a, 0):min(b, n - 1) + 1] = True
        free &= inside
    if mode == 0 and over == 0:
        return Grouping(grouping, quality_out)
    bkg = np.zeros(n) if background is None else np.asarray(background, dtype=np.float64)
    lo = np.zeros(n) if e_min is None else np.asarray(e_min, dtype=np.float64)
    hi = np.zeros(n) if e_max is None else np.asarray(e_max, dtype=np.float64)
    grid = np.linspace(min(lo.min(), hi.min()), max(lo.max(), hi.max()), 2048) if over > 0 else np.zeros(2)
    fwhm = np.asarray(resolution(grid), dtype=np.float64) if over > 0 else np.zeros(2)
    for a, b in _runs(free):
        index = np.arange(a, b + 1)[::-1] if hightolow else np.arange(a, b + 1)
        # the kernel measures a group from its first edge lo[start] to its last edge hi[end]: going
        # down, those are the upper edge of its highest channel and the lower edge of its lowest
        first_edge, last_edge = (hi, lo) if hightolow else (lo, hi)
        label = _group_run(counts[index], bkg[index], float(background_norm), first_edge[index], last_edge[index],
                           grid, fwhm, over, mode, float(threshold))
        _apply(label, index, grouping, quality_out, lastbin)
    return Grouping(grouping, quality_out)


def _apply(label: np.ndarray, index: np.ndarray, grouping: np.ndarray, quality: np.ndarray, lastbin: str) -> None:
    """Write one run's groups (``label`` in processing order over channels ``index``)."""
    leftover = label < 0
    if leftover.any():
        last = int(label.max())
        if lastbin == "addtogroup" and last >= 0:
            label = np.where(leftover, last, label)
        elif lastbin == "setbad":
            quality[index[leftover]] = QUALITY_LEFTOVER
        else:
            label = np.where(leftover, last + 1, label)
    grouped = label >= 0
    channels, labels = index[grouped], label[grouped]
    order = np.argsort(channels, kind="stable")
    channels, labels = channels[order], labels[order]
    first = np.concatenate([[True], labels[1:] != labels[:-1]])
    grouping[channels] = np.where(first, 1, -1)


# ---------------------------------------------------------------------------- spectra


def parse_ranges(text: str, units: str = "CHAN", e_min: np.ndarray | None = None,
                 e_max: np.ndarray | None = None) -> list[tuple[int, int]]:
    """Channel index ranges from SAS text: ``'2-20,63-97'``, ``'0.2:0.5'`` (keV with ``units='KEV'``).

    A keV range selects the channels whose energy range lies inside it.

    Examples
    --------
    >>> parse_ranges("0:10, 790-799")
    [(0, 10), (790, 799)]
    """
    ranges = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        pieces = [p for p in re.split(r"\s*[:]\s*|(?<=\d)\s*-\s*", part) if p != ""]
        if len(pieces) != 2:
            raise ParameterError(f"specgroup: cannot read the range {part!r} (expected first-last or first:last)")
        try:
            low, high = float(pieces[0]), float(pieces[1])
        except ValueError:
            raise ParameterError(f"specgroup: cannot read the range {part!r}") from None
        if units.upper() == "KEV":
            if e_min is None or e_max is None:
                raise ParameterError("specgroup: keV ranges need the channel energies")
            inside = np.nonzero((e_min >= low - 1e-9) & (e_max <= high + 1e-9))[0]
            if inside.size:
                ranges.append((int(inside[0]), int(inside[-1])))
        elif units.upper() == "CHAN":
            ranges.append((int(low), int(high)))
        else:
            raise ParameterError(f"specgroup: units must be CHAN or KEV, got {units!r}")
    return ranges


def nominal_energies(spectrum: Spectrum) -> tuple[np.ndarray, np.ndarray]:
    """Nominal energy range (keV) of each channel: ``[channel_min + k*bin, + bin)`` PI eV."""
    k = np.asarray(spectrum.channel, dtype=np.float64) - float(np.min(spectrum.channel))
    low = (spectrum.channel_min + k * spectrum.channel_bin) / 1000.0
    return low, low + spectrum.channel_bin / 1000.0


def setbad_quality(spectrum: Spectrum, setbad: str | None, units: str = "CHAN",
                   energies: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """QUALITY after ``setbad`` (``'CCF'``, ``'no'``/None, or ranges), from the spectrum's own quality."""
    quality = (np.zeros(spectrum.channel.size, np.int16) if spectrum.quality is None
               else np.asarray(spectrum.quality).astype(np.int16).copy())
    if setbad is None or setbad.strip().lower() in ("", "no", "none", "n"):
        return quality
    low, high = nominal_energies(spectrum)
    if setbad.strip().upper() == "CCF":
        instrument = str(spectrum.keyword("INSTRUME", "") or "").strip().upper()
        if instrument not in VALID_PI:
            raise ProductError(f"setbad=CCF: no valid channel range known for instrument {instrument!r}")
        pi_lo, pi_hi = VALID_PI[instrument]
        bad = (low * 1000.0 < pi_lo - 1e-6) | (high * 1000.0 > pi_hi + 1e-6)
    else:
        e_min, e_max = energies if energies is not None else (low, high)
        bad = np.zeros(quality.size, dtype=bool)
        for a, b in parse_ranges(setbad, units, e_min, e_max):
            bad[max(a, 0):b + 1] = True
    quality[bad & (quality == 0)] = QUALITY_SETBAD
    return quality


def background_norm(source: Spectrum, background: Spectrum) -> float:
    """``(BACKSCAL * EXPOSURE * AREASCAL)`` of the source over that of the background."""
    denominator = background.backscal * background.exposure * background.areascal
    if denominator <= 0:
        raise ProductError("the background spectrum has zero BACKSCAL, EXPOSURE or AREASCAL")
    return float(source.backscal * source.exposure * source.areascal / denominator)


@register("Spectrum.group")
def group_spectrum(
    spectrum: Spectrum,
    *,
    mincounts: float | None = None,
    min_sn: float | None = None,
    ratio_above_background: float | None = None,
    oversample: float | None = None,
    background: Spectrum | None = None,
    rmf: Any = None,
    resolution: Any = None,
    calibration: Any = None,
    regbin: tuple[int, int, int] | None = None,
    ranges: str | None = None,
    units: str = "CHAN",
    setbad: str | None = "CCF",
    hightolow: bool = False,
    lastbin: str = "addtogroup",
    template: Spectrum | None = None,
) -> Spectrum:
    """The spectrum with GROUPING and QUALITY (SAS specgroup); see :meth:`Spectrum.group`.

    Parameters
    ----------
    spectrum : Spectrum
        The source spectrum (counts per channel).
    rmf : Rmf or path, optional
        Defines the channel energies (EBOUNDS) and, without ``resolution``, the FWHM.
    resolution : callable, optional
        FWHM (keV) versus energy (keV); default from ``rmf``, else from the calibration's
        redistribution for the spectrum's camera and patterns.
    template : Spectrum, optional
        Copy its GROUPING and QUALITY instead (``grouptemplate``).

    Examples
    --------
    >>> grouped = group_spectrum(spec, mincounts=25, oversample=3, rmf="src.rmf")   # doctest: +SKIP
    """
    if template is not None:
        if template.channel.size != spectrum.channel.size:
            raise ProductError("the grouping template has a different number of channels")
        grouping = template.grouping if template.grouping is not None else np.ones(spectrum.channel.size)
        quality = template.quality if template.quality is not None else np.zeros(spectrum.channel.size)
        return _with_grouping(spectrum, Grouping(np.asarray(grouping, np.int16), np.asarray(quality, np.int16)))
    energies = nominal_energies(spectrum)
    if rmf is not None:
        rmf = Rmf.read(rmf) if not isinstance(rmf, Rmf) else rmf
        if rmf.detchans != spectrum.channel.size:
            raise ProductError(f"the RMF has {rmf.detchans} channels, the spectrum {spectrum.channel.size}")
        energies = (rmf.e_min, rmf.e_max)
    if oversample and resolution is None:
        resolution = _default_resolution(spectrum, rmf, calibration)
    quality = setbad_quality(spectrum, setbad, units, energies)
    norm = 1.0
    bkg_counts = None
    if background is not None:
        if background.channel.size != spectrum.channel.size:
            raise ProductError("the background spectrum has a different number of channels")
        norm = background_norm(spectrum, background)
        bkg_counts = np.asarray(background.counts, dtype=np.float64)
    result = group_channels(
        spectrum.counts, quality=quality, mincounts=mincounts, min_sn=min_sn,
        ratio_above_background=ratio_above_background, background=bkg_counts, background_norm=norm,
        oversample=oversample, resolution=resolution, e_min=energies[0], e_max=energies[1], regbin=regbin,
        ranges=parse_ranges(ranges, units, *energies) if ranges else None, hightolow=hightolow, lastbin=lastbin,
    )
    return _with_grouping(spectrum, result)


def _default_resolution(spectrum: Spectrum, rmf: Any, calibration: Any) -> Any:
    if rmf is not None:
        return rmf_resolution(rmf)
    ctx = ProductContext.from_product(spectrum)
    return calibration_resolution(ctx.instrument, ctx.patterns, calibration, ctx.date_obs)


def _with_grouping(spectrum: Spectrum, grouping: Grouping) -> Spectrum:
    return replace(spectrum, grouping=grouping.grouping.astype(np.int16), quality=grouping.quality.astype(np.int16))


__all__ = [
    "LASTBIN",
    "VALID_PI",
    "Grouping",
    "background_norm",
    "group_channels",
    "group_spectrum",
    "nominal_energies",
    "parse_ranges",
    "setbad_quality",
]
