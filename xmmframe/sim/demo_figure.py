"""The demo's quick-look figure: image with regions, spectrum with folded model, light curve with flares.

Examples
--------
>>> from xmmframe.sim.demo_figure import Region
>>> Region(25921.0, 25921.0, 600.0, "source", "cyan").r
600.0
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from xmmframe.io.figures import write_png
from xmmframe.model.gti import GTI
from xmmframe.model.products import Image, LightCurve, Spectrum
from xmmframe.model.responses import Arf, Rmf
from xmmframe.sim.config import PointSource
from xmmframe.sim.spectra import continuum, line_flux


@dataclass(frozen=True)
class Region:
    """A circle on the sky grid (X, Y, radius in sky pixels) with a label and colour."""

    x: float
    y: float
    r: float
    label: str
    color: str
    label_below: bool = False


def folded_model(source: PointSource, arf: Arf, rmf: Rmf) -> np.ndarray:
    """Count rate per channel (counts/s) of a simulated source's true spectrum through an ARF and RMF
    (the true variability averages out; the line is put in the energy bin holding its centre)."""
    lo, hi = arf.energ_lo, arf.energ_hi
    mid = 0.5 * (lo + hi)
    photons = continuum(source, np.maximum(mid, 1e-3)) * (hi - lo)
    for line in source.lines:
        k = np.searchsorted(hi, line.energy)
        if k < photons.size:
            photons[k] += line_flux(source, line)
    return (photons * arf.specresp) @ rmf.to_dense()


def _image_panel(ax, image: Image, regions: list[Region]) -> None:  # noqa: ANN001 - matplotlib axes
    from matplotlib.patches import Circle

    ax.imshow(np.log10(1.0 + image.data.astype(float)), origin="lower", cmap="magma", interpolation="nearest")
    physical = image.physical_wcs
    scale = abs(1.0 / physical.wcs.cdelt[0]) if physical.wcs.cdelt[0] else 1.0
    for region in regions:
        px, py = physical.all_world2pix([region.x], [region.y], 1)
        ax.add_patch(Circle((px[0] - 1, py[0] - 1), region.r * scale, fill=False, color=region.color, lw=1.5))
        offset = -(region.r * scale + 4) if region.label_below else region.r * scale + 4
        ax.annotate(
            region.label,
            (px[0] - 1, py[0] - 1 + offset),
            color=region.color,
            fontsize=9,
            ha="center",
            va="top" if region.label_below else "bottom",
        )
    ax.set_title("pn 0.5-7 keV (flare-screened, log scale)")
    ax.set_xlabel("image x")
    ax.set_ylabel("image y")


def _spectrum_panel(
    ax,
    spectrum: Spectrum,
    background: Spectrum | None,
    model: np.ndarray,  # noqa: ANN001
    channel_energy: tuple[np.ndarray, np.ndarray],
) -> None:
    e_min, e_max = channel_energy
    group = 20
    n = (spectrum.counts.size // group) * group
    energy = 0.5 * (e_min[:n] + e_max[:n]).reshape(-1, group).mean(axis=1)
    widths = (e_max[:n] - e_min[:n]).reshape(-1, group).sum(axis=1)
    counts = spectrum.counts[:n].reshape(-1, group).sum(axis=1)
    scale = spectrum.exposure * widths
    background_rate = np.zeros_like(energy)
    if background is not None and background.backscal > 0 and background.exposure > 0:
        scaled = (
            background.counts[:n].reshape(-1, group).sum(axis=1) * spectrum.backscal / background.backscal
        )
        background_rate = scaled / (background.exposure * widths)
    folded = model[:n].reshape(-1, group).sum(axis=1) / widths
    keep = (energy > 0.3) & (energy < 10.0)
    ax.errorbar(
        energy[keep],
        counts[keep] / scale[keep],
        yerr=np.sqrt(np.maximum(counts[keep], 1.0)) / scale[keep],
        fmt=".",
        ms=3,
        color="k",
        label="source region",
    )
    ax.step(energy[keep], background_rate[keep], where="mid", color="tab:gray", label="background (scaled)")
    ax.plot(
        energy[keep],
        folded[keep] + background_rate[keep],
        color="tab:red",
        lw=1.2,
        label="true model through RMF x ARF + background",
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("energy (keV)")
    ax.set_ylabel("counts / s / keV")
    ax.set_title("pn spectrum, PATTERN<=4")
    ax.legend(fontsize=8)


def _lightcurve_panel(
    ax,
    lightcurve: LightCurve,
    screening: LightCurve,
    good: GTI,  # noqa: ANN001
    flares: list[tuple[float, float]],
) -> None:
    t0 = lightcurve.tstart
    ax.errorbar(
        (lightcurve.time - t0) / 1000.0,
        lightcurve.rate,
        yerr=lightcurve.error,
        fmt=".",
        ms=3,
        color="k",
        label="source region",
    )
    ax.step(
        (screening.time - t0) / 1000.0,
        screening.rate,
        where="mid",
        color="tab:blue",
        lw=1,
        label="pn 10-12 keV singles (screening)",
    )
    for start, stop in flares:
        ax.axvspan((start - t0) / 1000.0, (stop - t0) / 1000.0, color="tab:orange", alpha=0.25)
    for start, stop in good.complement(lightcurve.tstart, lightcurve.tstop).intervals:
        ax.axvspan((start - t0) / 1000.0, (stop - t0) / 1000.0, ymin=0.0, ymax=0.05, color="tab:red")
    ax.set_xlabel("time since start (ks)")
    ax.set_ylabel("count / s")
    ax.set_title("light curve (orange: simulated flares, red: screened out)")
    ax.legend(fontsize=8)


def demo_figure(
    path: str | os.PathLike[str],
    image: Image,
    regions: list[Region],
    spectrum: Spectrum,
    background: Spectrum | None,
    model: np.ndarray,
    channel_energy: tuple[np.ndarray, np.ndarray],
    lightcurve: LightCurve,
    screening_curve: LightCurve,
    good: GTI,
    flares: list[tuple[float, float]],
    title: str,
) -> None:
    """Write the three-panel PNG atomically (``channel_energy``: the channels' E_MIN, E_MAX in keV;
    ``model``: the folded model in counts/s per channel)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(17, 5.4))
    fig.suptitle(title)
    _image_panel(axes[0], image, regions)
    _spectrum_panel(axes[1], spectrum, background, model, channel_energy)
    _lightcurve_panel(axes[2], lightcurve, screening_curve, good, flares)
    fig.tight_layout()
    write_png(fig, path, dpi=110)
    plt.close(fig)
