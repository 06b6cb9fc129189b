"""Quick-look plots of products: spectra, light curves and images (matplotlib, Agg backend).

* **Spectrum**: count rate per keV against the channels' nominal energy (PI eV / 1000), log
  axes; with GROUPING the groups are plotted as points with x extents and 1-sigma Poisson
  errors; bad-quality channels are left out.
* **Light curve**: rate with errors against time since ``TSTART`` (seconds); the good time
  intervals of the product are shaded; a background (``BACKV``) is drawn when present.
* **Image**: the pixels on sky axes (astropy WCSAxes, RA/Dec) with a log stretch.

Each function returns the matplotlib ``Axes``; :func:`save_quicklook` writes a PNG of any
product file, recognising its type from ``HDUCLAS1`` (``SPECTRUM``, ``LIGHTCURVE``,
``IMAGE``).

Examples
--------
>>> from xmmframe.products.quicklook import save_quicklook
>>> save_quicklook("M1_image.fits", "M1_image.png")                          # doctest: +SKIP
'IMAGE'
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from xmmframe.errors import ProductError
from xmmframe.model.products import Image, LightCurve, Spectrum
from xmmframe.model.registry import register

#: Product kinds :func:`product_kind` recognises.
KINDS = ("SPECTRUM", "LIGHTCURVE", "IMAGE")


def _pyplot() -> Any:
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "module://matplotlib_inline.backend_inline"):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _axes(ax: Any, **subplot: Any) -> Any:
    if ax is not None:
        return ax
    plt = _pyplot()
    figure = plt.figure(figsize=(7.0, 4.5) if not subplot else (6.5, 6.0))
    return figure.add_subplot(111, **subplot)


def _title(product: Any) -> str:
    facts = [product.keyword(k) for k in ("OBJECT", "OBS_ID", "INSTRUME")]
    return " ".join(str(f).strip() for f in facts if f)


@register("Spectrum.plot")
def plot_spectrum(spectrum: Spectrum, ax: Any = None, grouped: bool = True) -> Any:
    """Count rate per keV versus energy; returns the Axes.

    Examples
    --------
    >>> ax = plot_spectrum(Spectrum.read("src.pha"))                       # doctest: +SKIP
    >>> ax.get_xlabel()                                                    # doctest: +SKIP
    'Energy (keV)'
    """
    from xmmframe.products.grouping import Grouping, nominal_energies

    ax = _axes(ax)
    low, high = nominal_energies(spectrum)
    counts = np.asarray(spectrum.counts, dtype=np.float64)
    quality = np.zeros(counts.size, np.int16) if spectrum.quality is None else np.asarray(spectrum.quality)
    grouping = spectrum.grouping if (grouped and spectrum.grouping is not None) else np.ones(counts.size)
    groups = Grouping(np.asarray(grouping), quality)
    starts = groups.group_starts
    ends = np.append(starts[1:], counts.size) - 1
    good = quality[starts] == 0
    exposure = spectrum.exposure if spectrum.exposure > 0 else 1.0
    width = high[ends] - low[starts]
    total = groups.sums(counts)
    rate = total / exposure / width
    error = np.sqrt(np.maximum(total, 0.0)) / exposure / width
    centre = 0.5 * (low[starts] + high[ends])
    shown = good & (total > 0)
    if grouped and spectrum.grouping is not None:
        ax.errorbar(centre[shown], rate[shown], xerr=0.5 * width[shown], yerr=error[shown], fmt=".", ms=2, lw=0.6,
                    label=f"{int(shown.sum())} groups")
    else:
        ax.step(centre[good], np.where(total[good] > 0, rate[good], np.nan), where="mid", lw=0.7)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("Energy (keV)")
    ax.set_ylabel("Rate (counts s$^{-1}$ keV$^{-1}$)")
    ax.set_title(f"{_title(spectrum)}  {spectrum.total} counts, {spectrum.exposure:.0f} s".strip(), fontsize=9)
    return ax


@register("LightCurve.plot")
def plot_lightcurve(curve: LightCurve, ax: Any = None, shade_gti: bool = True) -> Any:
    """Rate against time since TSTART with errors and shaded GTIs; returns the Axes.

    Examples
    --------
    >>> ax = plot_lightcurve(LightCurve.read("src.lc"))                   # doctest: +SKIP
    >>> ax.get_ylabel()                                                   # doctest: +SKIP
    'Rate (counts s$^{-1}$)'
    """
    ax = _axes(ax)
    t0 = curve.tstart
    time = curve.time - t0
    finite = np.isfinite(curve.rate)
    ax.errorbar(time[finite], curve.rate[finite], yerr=np.nan_to_num(curve.error[finite]), fmt=".", ms=2, lw=0.5,
                label=curve.hduclas2.lower())
    if curve.backv is not None:
        ax.plot(time, curve.backv, lw=0.7, label="background")
    if shade_gti and curve.gtis:
        gti = curve.gtis[0].gti
        for table in curve.gtis[1:]:
            gti = gti | table.gti
        for start, stop in zip(gti.start, gti.stop):
            ax.axvspan(start - t0, stop - t0, color="tab:green", alpha=0.12, lw=0)
    ax.set_xlabel(f"Time - TSTART (s); TSTART = {t0:.3f}")
    ax.set_ylabel("Rate (counts s$^{-1}$)")
    ax.set_title(f"{_title(curve)}  bin {curve.timedel:g} s".strip(), fontsize=9)
    if curve.backv is not None:
        ax.legend(fontsize=7)
    return ax


@register("Image.plot")
def plot_image(image: Image, ax: Any = None, stretch: str = "log") -> Any:
    """The image on RA/Dec axes (WCSAxes) with a log (or linear) stretch; returns the Axes.

    Examples
    --------
    >>> ax = plot_image(Image.read("M1_image.fits"))                       # doctest: +SKIP
    """
    import warnings

    from astropy.visualization import ImageNormalize, LinearStretch, LogStretch, MinMaxInterval
    from astropy.wcs import FITSFixedWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FITSFixedWarning)  # SAS writes the deprecated RADECSYS
        try:
            wcs = image.wcs
            wcs = wcs if wcs.has_celestial else None
        except Exception:  # a malformed WCS: plot in pixels  # noqa: BLE001
            wcs = None
    ax = _axes(ax, projection=wcs) if wcs is not None else _axes(ax)
    data = np.asarray(image.data, dtype=np.float64)
    norm = ImageNormalize(data, interval=MinMaxInterval(),
                          stretch=LogStretch() if stretch == "log" else LinearStretch())
    shown = ax.imshow(data, origin="lower", cmap="magma", norm=norm, interpolation="nearest")
    ax.figure.colorbar(shown, ax=ax, fraction=0.046, pad=0.04, label="counts")
    if wcs is not None:
        ax.set_xlabel("Right ascension")
        ax.set_ylabel("Declination")
    else:
        ax.set_xlabel("x (pixel)")
        ax.set_ylabel("y (pixel)")
    ax.set_title(f"{_title(image)}  {data.sum():g} counts".strip(), fontsize=9)
    return ax


def product_kind(path: str | os.PathLike[str]) -> str:
    """``SPECTRUM``, ``LIGHTCURVE`` or ``IMAGE``, from the first HDU whose ``HDUCLAS1`` names one.

    A file without HDUCLAS1 whose primary array (or first image extension) is 2-D is an image.

    Raises
    ------
    ProductError
        When no product is recognised.
    """
    from xmmframe.io.fits_structure import read_structure

    hdus = read_structure(path)
    for info in hdus:
        kind = str(info.header.get("HDUCLAS1", "")).strip().upper()
        if kind in KINDS:
            return kind
    if any(info.kind in ("PRIMARY", "IMAGE") and int(info.header.get("NAXIS", 0)) == 2 for info in hdus):
        return "IMAGE"
    raise ProductError("not a spectrum, light curve or image (no HDUCLAS1 SPECTRUM/LIGHTCURVE/IMAGE)", path)


def plot_product(path: str | os.PathLike[str]) -> tuple[str, Any]:
    """Read a product file and plot it: ``(kind, axes)``."""
    kind = product_kind(path)
    if kind == "SPECTRUM":
        return kind, plot_spectrum(Spectrum.read(path))
    if kind == "LIGHTCURVE":
        return kind, plot_lightcurve(LightCurve.read(path))
    return kind, plot_image(Image.read(path))


def save_quicklook(path: str | os.PathLike[str], output: str | os.PathLike[str], overwrite: bool = False,
                   dpi: int = 110) -> str:
    """Write a PNG quick look of a product file (atomically); returns the product kind."""
    from xmmframe.io.figures import write_png
    from xmmframe.io.ogip import check_output

    check_output(output, overwrite)
    kind, ax = plot_product(path)
    figure = ax.figure
    try:
        figure.tight_layout()
        write_png(figure, output, dpi=dpi, protect=[path])
    finally:
        _pyplot().close(figure)
    return kind


__all__ = ["KINDS", "plot_image", "plot_lightcurve", "plot_product", "plot_spectrum", "product_kind",
           "save_quicklook"]
