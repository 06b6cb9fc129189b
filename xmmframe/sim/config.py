"""What to simulate: pointing, exposure, sources with their spectra, background, flares, detector defects.

Source specifications on the command line (``--sources``) are ``;``-separated items
``kind:key=value,key=value``:

* ``point:ra=..,dec=..,flux=..,gamma=..,nh=..[,line=6.4,eqw=0.3][,name=..]`` - a point source,
  2-10 keV flux in erg/cm2/s of an absorbed power law (nH in 1e22 cm-2) with an optional
  Gaussian line (keV, equivalent width in keV);
* ``extended:ra=..,dec=..,flux=..,kt=..,rc=..[,line=6.7,eqw=..]`` - a beta-model (beta = 2/3,
  core radius ``rc`` arcsec) with a bremsstrahlung-like spectrum;
* ``ra``/``dec`` may be given as offsets ``dra``/``ddec`` in arcmin from the pointing.

Examples
--------
>>> from xmmframe.sim.config import default_config, parse_sources
>>> config = default_config(exposure=2000.0, seed=3)
>>> [s.name for s in config.sources]
['src1', 'src2', 'cluster']
>>> parse_sources("point:dra=1,ddec=0,flux=1e-12,gamma=2", config)[0].gamma
2.0
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from xmmframe.errors import XmmframeError


@dataclass(frozen=True)
class Line:
    """A Gaussian line: centre (keV), equivalent width against the continuum (keV), sigma (keV)."""

    energy: float
    eqw: float
    sigma: float = 0.0


@dataclass(frozen=True)
class PointSource:
    """A point source with an absorbed power-law spectrum and lines.

    ``flux`` is the unabsorbed-continuum 2-10 keV energy flux (erg/cm2/s).  ``variability`` is the
    relative amplitude of a sinusoidal modulation with ``period`` seconds (0: constant).
    """

    name: str
    ra: float
    dec: float
    flux: float
    gamma: float = 1.8
    nh: float = 0.03
    lines: tuple[Line, ...] = ()
    variability: float = 0.0
    period: float = 5000.0


@dataclass(frozen=True)
class ExtendedSource:
    """A beta-model (beta = 2/3) surface brightness with a bremsstrahlung-like continuum and lines."""

    name: str
    ra: float
    dec: float
    flux: float
    kt: float = 4.0
    core_radius: float = 60.0
    max_radius: float = 360.0
    nh: float = 0.03
    lines: tuple[Line, ...] = ()


@dataclass(frozen=True)
class Flare:
    """A soft-proton flare: start and stop (seconds from the exposure start), plateau rate (pn counts/s
    in the field of view; MOS gets ``mos_fraction`` of it) and power-law index."""

    start: float
    stop: float
    rate: float
    gamma: float = 0.7
    ramp: float = 20.0
    mos_fraction: float = 0.35


@dataclass(frozen=True)
class Background:
    """Quiescent particle background (counts/s over the whole camera), instrumental lines and MIPs.

    ``lines`` are ``(energy keV, counts/s)`` of fluorescence lines spread uniformly over the CCDs;
    ``uniform_line`` (energy keV, counts/s) adds a flat-field line source over the whole camera
    (a calibration-source stand-in, used to check the CTI correction at every RAWY).
    """

    pn_rate: float = 1.5
    mos_rate: float = 0.35
    gamma: float = 0.25
    pn_lines: tuple[tuple[float, float], ...] = ((1.4867, 0.05), (8.0478, 0.10), (7.4782, 0.03))
    mos_lines: tuple[tuple[float, float], ...] = ((1.4867, 0.03), (1.73998, 0.02))
    uniform_line: tuple[float, float] | None = None
    mip_rate: float = 0.2
    hot_pixels_per_ccd: int = 1
    hot_probability: float = 0.02


@dataclass(frozen=True)
class SimulationConfig:
    """Everything a simulated observation depends on.

    Attributes
    ----------
    seed : int
        Random seed: the ODF and truth table are identical for the same configuration and seed.
    exposure : float
        Exposure of each camera (s).
    ra, dec, pa : float
        Nominal pointing (degrees).
    obs_id, revolution, start : str, int, str
        Observation identifier, revolution and start (UTC) of the observation.
    instruments : tuple of str
        Cameras to simulate (``PN``, ``M1``, ``M2``).
    sources : tuple
        Point and extended sources.
    flares : tuple of Flare
        Soft-proton flares.
    background : Background
        Particle background, instrumental lines, MIPs and unknown hot pixels.
    wobble : float
        Attitude wobble amplitude (arcsec).
    attitude_step : int
        Seconds between attitude records.
    filter : str
        Filter name written into the headers.
    pn_mode : str
        pn submode (``PrimeFullWindowExtended``: 199.1 ms frames; ``PrimeFullWindow``: 73.4 ms).
    telemetry_gaps : int
        Number of telemetry drops (60 s without frames) per camera.
    chunk_hits : int
        Incident photons and particles (expected at a camera's peak rate) simulated at once: a
        camera's exposure is simulated and written in blocks of whole frames of that many events,
        which bounds the memory used.  The random stream depends on it, the statistics do not.
    """

    seed: int = 1
    exposure: float = 20000.0
    ra: float = 150.0
    dec: float = 2.2
    pa: float = 72.0
    obs_id: str = "0999990101"
    revolution: int = 1234
    start: str = "2006-05-27T10:00:00"
    instruments: tuple[str, ...] = ("PN", "M1", "M2")
    sources: tuple[PointSource | ExtendedSource, ...] = ()
    flares: tuple[Flare, ...] = ()
    background: Background = field(default_factory=Background)
    wobble: float = 1.5
    attitude_step: int = 5
    filter: str = "Medium"
    pn_mode: str = "PrimeFullWindowExtended"
    telemetry_gaps: int = 1
    target: str = "XMMFRAME-SIM"
    chunk_hits: int = 500_000


def offset_position(ra: float, dec: float, dra_arcmin: float, ddec_arcmin: float) -> tuple[float, float]:
    """A position offset by (east, north) arcminutes from (ra, dec) on the tangent plane."""
    from xmmframe.model.projection import tangent_to_sky

    xi = np.deg2rad(dra_arcmin / 60.0)
    eta = np.deg2rad(ddec_arcmin / 60.0)
    r, d = tangent_to_sky(np.array([xi]), np.array([eta]), np.array([ra]), np.array([dec]))
    return float(r[0]), float(d[0])


def default_config(exposure: float = 20000.0, seed: int = 1, **changes: object) -> SimulationConfig:
    """The demo observation: a bright AGN-like source with a 6.4 keV line at the aim point, a fainter
    source 5' off axis, a cluster 7' off axis, two soft-proton flares and the particle background."""
    base = SimulationConfig(seed=seed, exposure=exposure)
    ra, dec = base.ra, base.dec
    r1, d1 = offset_position(ra, dec, 0.3, 0.2)
    r2, d2 = offset_position(ra, dec, -4.0, 3.0)
    r3, d3 = offset_position(ra, dec, 5.0, -5.0)
    sources: tuple[PointSource | ExtendedSource, ...] = (
        PointSource(
            "src1",
            r1,
            d1,
            flux=1.5e-12,
            gamma=1.7,
            nh=0.05,
            lines=(Line(6.4, 0.35),),
            variability=0.25,
            period=max(exposure / 3.0, 600.0),
        ),
        PointSource("src2", r2, d2, flux=6e-13, gamma=2.0, nh=0.02),
        ExtendedSource("cluster", r3, d3, flux=3e-12, kt=4.0, core_radius=45.0, lines=(Line(6.7, 0.4),)),
    )
    flares = (
        Flare(0.25 * exposure, 0.25 * exposure + 0.12 * exposure, rate=40.0),
        Flare(0.70 * exposure, 0.70 * exposure + 0.08 * exposure, rate=60.0),
    )
    return replace(base, sources=sources, flares=flares, **changes)  # type: ignore[arg-type]


def _number(text: str, where: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise XmmframeError(f"source specification {where}: {text!r} is not a number") from None


def parse_sources(spec: str, config: SimulationConfig) -> tuple[PointSource | ExtendedSource, ...]:
    """Sources from a ``--sources`` specification (see the module docstring)."""
    sources: list[PointSource | ExtendedSource] = []
    for n, item in enumerate(filter(None, (s.strip() for s in spec.split(";"))), start=1):
        kind, _, rest = item.partition(":")
        values: dict[str, str] = {}
        for pair in filter(None, rest.split(",")):
            key, sep, value = pair.partition("=")
            if not sep:
                raise XmmframeError(f"source specification {item!r}: {pair!r} is not key=value")
            values[key.strip().lower()] = value.strip()
        name = values.pop("name", f"{kind}{n}")
        if "ra" in values and "dec" in values:
            ra, dec = _number(values.pop("ra"), item), _number(values.pop("dec"), item)
        else:
            ra, dec = offset_position(
                config.ra,
                config.dec,
                _number(values.pop("dra", "0"), item),
                _number(values.pop("ddec", "0"), item),
            )
        lines: tuple[Line, ...] = ()
        if "line" in values:
            lines = (Line(_number(values.pop("line"), item), _number(values.pop("eqw", "0.2"), item)),)
        flux = _number(values.pop("flux", "1e-12"), item)
        nh = _number(values.pop("nh", "0.03"), item)
        if kind == "point":
            source: PointSource | ExtendedSource = PointSource(
                name, ra, dec, flux, gamma=_number(values.pop("gamma", "1.8"), item), nh=nh, lines=lines
            )
        elif kind == "extended":
            source = ExtendedSource(
                name,
                ra,
                dec,
                flux,
                kt=_number(values.pop("kt", "4"), item),
                core_radius=_number(values.pop("rc", "60"), item),
                nh=nh,
                lines=lines,
            )
        else:
            raise XmmframeError(f"source specification {item!r}: kind must be 'point' or 'extended'")
        if values:
            raise XmmframeError(f"source specification {item!r}: unknown keys {sorted(values)}")
        sources.append(source)
    return tuple(sources)
