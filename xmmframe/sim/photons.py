"""Incident events of one camera: photons of sources, soft protons, particles, lines, MIPs, hot pixels.

Every generator returns a :class:`Hits` table (numpy columns) with the arrival time, energy, the
true sky position (X-ray photons) and the absorption point in DET and RAW coordinates.  Photons
are drawn with the on-axis area (analytic stand-in of :mod:`xmmframe.sim.response`), then kept
with the probability given by the vignetting at their off-axis angle; their position on the sky
is the source position plus a PSF offset (King profile) and, for the cluster, a beta-model
offset; the attitude at the arrival time turns the sky position into DET coordinates.

Examples
--------
>>> from xmmframe.sim.photons import COMPONENTS
>>> COMPONENTS["flare"]
2
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from xmmframe.model.attitude import Attitude
from xmmframe.model.geometry import Camera
from xmmframe.proc.calibration import DetectorCalibration
from xmmframe.model.projection import tangent_to_sky
from xmmframe.proc.coordinates import det_to_radec, radec_to_det
from xmmframe.sim.config import Background, ExtendedSource, Flare, PointSource
from xmmframe.sim.response import king_radii, response
from xmmframe.sim.spectra import ENERGY_GRID, continuum, draw_energies, line_flux

#: Component codes of the truth table.
COMPONENTS = {
    "point": 0,
    "extended": 1,
    "flare": 2,
    "particle": 3,
    "line": 4,
    "uniform_line": 5,
    "mip": 6,
    "hot": 7,
}
#: DET units per arcminute.
UNITS_PER_ARCMIN = 1200.0


@dataclass
class Hits:
    """Incident events (one row per photon or particle)."""

    time: np.ndarray
    energy: np.ndarray  # eV
    ra: np.ndarray
    dec: np.ndarray
    detx: np.ndarray
    dety: np.ndarray
    ccd: np.ndarray
    rx: np.ndarray
    ry: np.ndarray
    component: np.ndarray
    source: np.ndarray
    kept: np.ndarray  # survived vignetting (X-ray photons) / always True otherwise

    @classmethod
    def empty(cls) -> "Hits":
        """No hits (with the column dtypes of real ones)."""
        types = {"ccd": np.int16, "component": np.int64, "source": np.int64, "kept": bool}
        return cls(*(np.zeros(0, dtype=types.get(f.name, np.float64)) for f in fields(cls)))

    @classmethod
    def concat(cls, parts: list["Hits"]) -> "Hits":
        """All hits of several tables."""
        return cls(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)))

    def __len__(self) -> int:
        return int(self.time.size)


def _times(rng: np.random.Generator, n: int, t0: float, span: float) -> np.ndarray:
    return t0 + rng.random(n) * span


def _place(
    camera: Camera,
    attitude: Attitude,
    time: np.ndarray,
    ra: np.ndarray,
    dec: np.ndarray,
    energy_kev: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, ...]:
    ra_t, dec_t, pa_t = attitude.at(time)
    detx, dety = radec_to_det(ra, dec, ra_t, dec_t, pa_t + camera.rotation)
    theta = np.hypot(detx, dety) / UNITS_PER_ARCMIN
    kept = rng.random(time.size) < response().vignetting(camera.instrument, energy_kev, theta)
    ccd, rx, ry = camera.det_to_raw(detx, dety)
    return detx, dety, ccd, rx, ry, kept


def _source_spectrum(
    camera: Camera, filter_name: str, source: PointSource | ExtendedSource
) -> tuple[np.ndarray, list[float]]:
    """Continuum count density (counts/s/keV on ENERGY_GRID) and the rates (counts/s) of continuum and lines."""
    resp = response()
    area = resp.effective_area(camera.instrument, filter_name, ENERGY_GRID)
    density = continuum(source, ENERGY_GRID) * area
    rates = [float(np.trapezoid(density, ENERGY_GRID))]
    for line in source.lines:
        rates.append(
            line_flux(source, line)
            * float(resp.effective_area(camera.instrument, filter_name, np.array([line.energy]))[0])
        )
    return density, rates


def peak_rate(
    camera: Camera, filter_name: str, sources: tuple[PointSource | ExtendedSource, ...], background: Background,
    flares: tuple[Flare, ...],
) -> float:
    """Largest rate (incident events/s, before vignetting) of a camera: sources at the top of their
    variability, particle background, lines, MIPs and every flare at its plateau at once.

    Examples
    --------
    >>> from xmmframe.model.geometry import camera
    >>> from xmmframe.sim.config import Background
    >>> round(peak_rate(camera("EPN"), "Medium", (), Background(), ()), 2)
    1.88
    """
    is_pn = camera.instrument == "EPN"
    rate = background.pn_rate if is_pn else background.mos_rate
    rate += sum(r for _, r in (background.pn_lines if is_pn else background.mos_lines))
    rate += background.uniform_line[1] if background.uniform_line is not None else 0.0
    rate += background.mip_rate
    rate += sum(f.rate * (1.0 if is_pn else f.mos_fraction) for f in flares)
    for source in sources:
        variability = source.variability if isinstance(source, PointSource) else 0.0
        rate += sum(_source_spectrum(camera, filter_name, source)[1]) * (1.0 + variability)
    return rate


def source_photons(
    rng: np.random.Generator,
    camera: Camera,
    filter_name: str,
    attitude: Attitude,
    t0: float,
    span: float,
    source: PointSource | ExtendedSource,
    index: int,
    epoch: float | None = None,
) -> Hits:
    """Photons of one point or extended source over ``[t0, t0 + span)``; a variable source's phase
    counts from ``epoch`` (default ``t0``)."""
    resp = response()
    density, rates = _source_spectrum(camera, filter_name, source)
    variability = source.variability if isinstance(source, PointSource) else 0.0
    n_max = rng.poisson(sum(rates) * span * (1.0 + variability))
    time = _times(rng, n_max, t0, span)
    if variability > 0:
        origin = t0 if epoch is None else epoch
        phase = 2 * np.pi * (time - origin) / source.period  # type: ignore[union-attr]
        time = time[rng.random(n_max) < (1.0 + variability * np.sin(phase)) / (1.0 + variability)]
    n = time.size
    which = rng.choice(len(rates), n, p=np.asarray(rates) / sum(rates))
    energy = np.empty(n)
    energy[which == 0] = draw_energies(rng, density, ENERGY_GRID, int(np.sum(which == 0)))
    for k, line in enumerate(source.lines, start=1):
        sel = which == k
        energy[sel] = line.energy + line.sigma * rng.standard_normal(int(sel.sum()))
    ra_t, dec_t, pa_t = attitude.at(time)
    cx, cy = radec_to_det(np.full(n, source.ra), np.full(n, source.dec), ra_t, dec_t, pa_t + camera.rotation)
    radius = resp.psf_radii(rng, camera.instrument, energy, np.hypot(cx, cy) / UNITS_PER_ARCMIN)
    if isinstance(source, ExtendedSource):
        cluster = king_radii(rng, np.full(n, source.core_radius), np.full(n, 1.5), source.max_radius)
        angle = rng.random(n) * 2 * np.pi
        ox, oy = cluster * np.cos(angle), cluster * np.sin(angle)
    else:
        ox, oy = np.zeros(n), np.zeros(n)
    angle = rng.random(n) * 2 * np.pi
    xi = np.deg2rad((ox + radius * np.cos(angle)) / 3600.0)
    eta = np.deg2rad((oy + radius * np.sin(angle)) / 3600.0)
    ra, dec = tangent_to_sky(xi, eta, np.full(n, source.ra), np.full(n, source.dec))
    detx, dety, ccd, rx, ry, kept = _place(camera, attitude, time, ra, dec, energy, rng)
    code = COMPONENTS["extended" if isinstance(source, ExtendedSource) else "point"]
    return Hits(
        time, energy * 1000.0, ra, dec, detx, dety, ccd, rx, ry, np.full(n, code), np.full(n, index), kept
    )


def _uniform_on_ccds(rng: np.random.Generator, camera: Camera, n: int) -> tuple[np.ndarray, ...]:
    ccd = rng.choice(np.asarray(camera.ccds), n)
    nx, ny = camera.shape
    rx = rng.random(n) * nx
    ry = rng.random(n) * ny
    detx = np.empty(n)
    dety = np.empty(n)
    for c in camera.ccds:
        sel = ccd == c
        detx[sel], dety[sel] = camera.raw_to_det(c, rx[sel], ry[sel])
    return ccd.astype(np.int16), rx, ry, detx, dety


def _with_sky(
    camera: Camera, attitude: Attitude, time: np.ndarray, detx: np.ndarray, dety: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    ra_t, dec_t, pa_t = attitude.at(time)
    return det_to_radec(detx, dety, ra_t, dec_t, pa_t + camera.rotation)


def particle_hits(
    rng: np.random.Generator,
    camera: Camera,
    attitude: Attitude,
    t0: float,
    span: float,
    background: Background,
) -> Hits:
    """Quiescent particle background, instrumental lines and the flat-field line, uniform over the CCDs."""
    is_pn = camera.instrument == "EPN"
    rate = background.pn_rate if is_pn else background.mos_rate
    n = rng.poisson(rate * span)
    g = 1.0 - background.gamma
    u = rng.random(n)
    energy = (0.15**g + u * (15.0**g - 0.15**g)) ** (1.0 / g)
    codes = [np.full(n, COMPONENTS["particle"])]
    energies = [energy]
    for line_energy, line_rate in background.pn_lines if is_pn else background.mos_lines:
        k = rng.poisson(line_rate * span)
        energies.append(np.full(k, line_energy))
        codes.append(np.full(k, COMPONENTS["line"]))
    if background.uniform_line is not None:
        k = rng.poisson(background.uniform_line[1] * span)
        energies.append(np.full(k, background.uniform_line[0]))
        codes.append(np.full(k, COMPONENTS["uniform_line"]))
    energy = np.concatenate(energies)
    code = np.concatenate(codes)
    total = energy.size
    time = _times(rng, total, t0, span)
    ccd, rx, ry, detx, dety = _uniform_on_ccds(rng, camera, total)
    ra, dec = _with_sky(camera, attitude, time, detx, dety)
    return Hits(
        time,
        energy * 1000.0,
        ra,
        dec,
        detx,
        dety,
        ccd,
        rx,
        ry,
        code,
        np.full(total, -1),
        np.ones(total, dtype=bool),
    )


def flare_hits(
    rng: np.random.Generator,
    camera: Camera,
    attitude: Attitude,
    t0: float,
    flares: tuple[Flare, ...],
    window: tuple[float, float] = (-np.inf, np.inf),
) -> Hits:
    """Soft protons of the flares (times from the exposure start ``t0``) arriving in ``window``
    (mission s, half open): vignetted over the field of view, power laws, trapezoidal time profiles."""
    parts = []
    for flare in flares:
        rate = flare.rate * (1.0 if camera.instrument == "EPN" else flare.mos_fraction)
        lo = max(t0 + flare.start, window[0])
        hi = min(t0 + flare.stop, window[1])
        if hi <= lo:
            continue
        # a Poisson process at the plateau rate, thinned by the trapezoidal profile
        trial = lo + rng.random(rng.poisson(rate * (hi - lo))) * (hi - lo)
        shape = np.clip(np.minimum(trial - t0 - flare.start, t0 + flare.stop - trial) / flare.ramp, 0.0, 1.0)
        time = trial[rng.random(trial.size) < shape]
        n = time.size
        g = 1.0 - flare.gamma
        energy = (0.15**g + rng.random(n) * (15.0**g - 0.15**g)) ** (1.0 / g)
        radius = camera.fov_radius * np.sqrt(rng.random(n))
        angle = rng.random(n) * 2 * np.pi
        detx, dety = radius * np.cos(angle), radius * np.sin(angle)
        kept = rng.random(n) < response().vignetting(
            camera.instrument, np.full(n, 2.0), radius / UNITS_PER_ARCMIN
        )
        ccd, rx, ry = camera.det_to_raw(detx, dety)
        ra, dec = _with_sky(camera, attitude, time, detx, dety)
        parts.append(
            Hits(
                time,
                energy * 1000.0,
                ra,
                dec,
                detx,
                dety,
                ccd,
                rx,
                ry,
                np.full(n, COMPONENTS["flare"]),
                np.full(n, -1),
                kept,
            )
        )
    return Hits.concat(parts) if parts else Hits.empty()


def mip_pixels(
    rng: np.random.Generator,
    camera: Camera,
    cal: DetectorCalibration,
    t0: float,
    span: float,
    rate: float,
    saturation: int,
) -> tuple[Hits, dict[str, np.ndarray]]:
    """Minimum ionising particles: straight tracks of 3-10 pixels, one pixel above the MIP threshold.

    Returns their truth rows and their pixels (``HIT`` index local to the returned hits, ``CCD``,
    ``RAWX``, ``RAWY``, ``CHARGE`` in eV).
    """
    n = rng.poisson(rate * span)
    time = _times(rng, n, t0, span)
    ccd, rx, ry, detx, dety = _uniform_on_ccds(rng, camera, n)
    length = rng.integers(3, 11, n)
    angle = rng.random(n) * np.pi
    hit = np.repeat(np.arange(n), length)
    step = np.arange(length.sum()) - np.repeat(np.cumsum(length) - length, length)
    x = np.floor(rx[hit] + step * np.cos(angle[hit])).astype(np.int64) + 1
    y = np.floor(ry[hit] + step * np.sin(angle[hit])).astype(np.int64) + 1
    adu = rng.uniform(200.0, 1500.0, hit.size)
    first = np.cumsum(length) - length
    adu[first] = rng.uniform(cal.mip_threshold, saturation, n)
    column = np.clip(x - 1, 0, camera.shape[0] - 1)
    c = ccd[hit]
    charge = adu * cal.gain[c, column]
    hits = Hits(
        time,
        np.bincount(hit, charge, n),
        np.full(n, np.nan),
        np.full(n, np.nan),
        detx,
        dety,
        ccd,
        rx,
        ry,
        np.full(n, COMPONENTS["mip"]),
        np.full(n, -1),
        np.ones(n, dtype=bool),
    )
    return hits, {"HIT": hit, "CCD": c, "RAWX": x, "RAWY": y, "CHARGE": charge}


def hot_pixel_windows(rng: np.random.Generator, flicker: np.ndarray, nframes: int) -> np.ndarray:
    """Frames ``[first, stop)`` in which each hot pixel is active: all ``nframes`` frames, or one
    tenth of them at a random place for flickering pixels (``flicker`` True).

    Examples
    --------
    >>> hot_pixel_windows(np.random.default_rng(1), np.array([False]), 50).tolist()
    [[0, 50]]
    """
    windows = np.zeros((flicker.size, 2), dtype=np.int64)
    windows[:, 1] = nframes
    for k in np.flatnonzero(flicker):
        lo = int(rng.integers(0, max(nframes - nframes // 10, 1)))
        windows[k] = lo, min(lo + nframes // 10, nframes)
    return windows


def hot_pixel_hits(
    rng: np.random.Generator,
    camera: Camera,
    cal: DetectorCalibration,
    frame_start: np.ndarray,
    frame_time: float,
    pixels: np.ndarray,
    rate: float,
    flicker: np.ndarray,
    windows: np.ndarray,
) -> tuple[Hits, dict[str, np.ndarray]]:
    """Events of hot pixels (``pixels``: rows of ccd, RAWX, RAWY) in random frames at ``rate`` per second,
    inside their ``windows`` (``[first, stop)`` indices into ``frame_start``, see
    :func:`hot_pixel_windows`); flickering ones (``flicker`` True) ten times more often."""
    nframes = frame_start.size
    parts_frame, parts_pixel = [], []
    for k in range(len(pixels)):
        candidates = np.arange(max(windows[k, 0], 0), min(windows[k, 1], nframes))
        p = min((10.0 if flicker[k] else 1.0) * rate * frame_time, 0.9)
        chosen = candidates[rng.random(candidates.size) < p]
        count = chosen.size
        parts_frame.append(chosen)
        parts_pixel.append(np.full(count, k))
    frames = np.concatenate(parts_frame) if parts_frame else np.zeros(0, np.int64)
    which = np.concatenate(parts_pixel) if parts_pixel else np.zeros(0, np.int64)
    n = frames.size
    ccd = pixels[which, 0].astype(np.int16) if n else np.zeros(0, np.int16)
    x = pixels[which, 1] if n else np.zeros(0, np.int64)
    y = pixels[which, 2] if n else np.zeros(0, np.int64)
    adu = rng.uniform(cal.event_threshold + 5, 400.0, n)
    charge = adu * cal.gain[ccd, np.clip(x - 1, 0, cal.gain.shape[1] - 1)] if n else np.zeros(0)
    time = frame_start[frames] + 0.5 * frame_time
    detx = np.full(n, np.nan)
    dety = np.full(n, np.nan)
    hits = Hits(
        time,
        charge,
        np.full(n, np.nan),
        np.full(n, np.nan),
        detx,
        dety,
        ccd,
        x - 0.5,
        y - 0.5,
        np.full(n, COMPONENTS["hot"]),
        np.full(n, -1),
        np.ones(n, dtype=bool),
    )
    return hits, {
        "HIT": np.arange(n),
        "CCD": ccd.astype(np.int64),
        "RAWX": x.astype(np.int64),
        "RAWY": y.astype(np.int64),
        "CHARGE": charge,
    }
