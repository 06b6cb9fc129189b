"""Typed metadata of event lists and products: observation, time system, sky axes, columns, macros,
selection, data subspace, calibration and provenance.

Declarative, immutable dataclasses (as gammapy's ``EventListMetaData``): what analysis code needs
to know about an event list, as typed fields rather than header cards.  :mod:`xmmframe.io.header_meta`
reads them from a file's headers (only ``io/`` turns cards into metadata and back); the cards
themselves stay with :class:`~xmmframe.model.meta.EventMeta`, every one in order, so that writing
an event list back loses nothing.  :class:`~xmmframe.model.provenance.Provenance` says how a file
was made.

Examples
--------
>>> from xmmframe.model.metadata import Observation, SkyAxes, TimeSystem
>>> Observation(instrument="EMOS1", obs_id="0001730201", filter="Thick").instrument
'EMOS1'
>>> TimeSystem(tstart=1.0e8, tstop=1.0e8 + 3.0e4).elapsed
30000.0
>>> sky = SkyAxes(crval=(263.66, -32.56), cdelt=(-1.3888889e-05, 1.3888889e-05), crpix=(25921.0, 25921.0))
>>> [round(float(v[0]), 2) for v in sky.wcs().all_pix2world([25921.0], [25921.0], 1)]
[263.66, -32.56]
"""

from __future__ import annotations

from dataclasses import dataclass, field

from astropy.wcs import WCS

from xmmframe.model.dss import DssEntry
from xmmframe.model.provenance import Provenance

#: XMM-Newton's mission reference epoch, MJD (1998-01-01T00:00:00 TT).
XMM_MJDREF = 50814.0


@dataclass(frozen=True)
class ColumnInfo:
    """Per-column metadata of a FITS table column.

    Attributes
    ----------
    name : str
        Column name (TTYPE).
    tform : str
        FITS storage format (TFORM).
    unit : str or None
        TUNIT.
    tlmin, tlmax : float or None
        Legal minimum and maximum (TLMIN/TLMAX).
    tnull : int or None
        Stored value meaning "undefined".
    comment : str
        The TTYPE comment (a short description of the column).

    Examples
    --------
    >>> ColumnInfo("PI", "1I", unit="CHAN", tlmin=0, tlmax=20479).tlmax
    20479
    """

    name: str
    tform: str
    unit: str | None = None
    tlmin: float | None = None
    tlmax: float | None = None
    tnull: int | None = None
    comment: str = ""


@dataclass(frozen=True)
class Observation:
    """Which observation, camera and mode: TELESCOP, INSTRUME, DATAMODE, SUBMODE, FILTER, OBS_ID, EXPIDSTR.

    Attributes
    ----------
    telescope : str or None
        ``XMM``.
    instrument : str or None
        ``EPN``, ``EMOS1`` or ``EMOS2``.
    datamode, submode : str or None
        ``IMAGING``/``TIMING``...; ``PrimeFullWindow``...
    filter : str or None
        ``Thin1``, ``Medium``, ``Thick``...
    obs_id, expidstr : str or None
        The observation and exposure identifiers (``0001730201``, ``S002``).
    target : str or None
        OBJECT, the name of the observed object.

    Examples
    --------
    >>> Observation(instrument="EPN", submode="PrimeFullWindow").datamode is None
    True
    """

    telescope: str | None = None
    instrument: str | None = None
    datamode: str | None = None
    submode: str | None = None
    filter: str | None = None
    obs_id: str | None = None
    expidstr: str | None = None
    target: str | None = None


@dataclass(frozen=True)
class TimeSystem:
    """Times of an event list: MJDREF, TIMESYS, TIMEREF, TSTART, TSTOP and the exposure.

    Attributes
    ----------
    mjdref : float
        Reference epoch, MJD (``MJDREF``, or ``MJDREFI + MJDREFF``; XMM's 50814.0 when absent).
    timesys : str
        ``TT`` for XMM.
    timeref : str
        ``LOCAL`` until barycentred.
    tstart, tstop : float or None
        First and last time, seconds of mission time.
    exposure : float or None
        ONTIME (else EXPOSURE) of the table header, seconds.

    Examples
    --------
    >>> TimeSystem().mjdref, TimeSystem().elapsed is None
    (50814.0, True)
    """

    mjdref: float = XMM_MJDREF
    timesys: str = "TT"
    timeref: str = "LOCAL"
    tstart: float | None = None
    tstop: float | None = None
    exposure: float | None = None

    @property
    def elapsed(self) -> float | None:
        """TSTOP - TSTART, seconds (None when either is unknown)."""
        if self.tstart is None or self.tstop is None:
            return None
        return self.tstop - self.tstart


@dataclass(frozen=True)
class SkyAxes:
    """The tangent-plane projection of the sky pixel columns X/Y (1-based physical pixels).

    Attributes
    ----------
    crval, cdelt, crpix : tuple of float
        Reference sky position (deg), pixel size (deg) and reference pixel of X and Y.
    ctype : tuple of str
        Projection types (``RA---TAN``, ``DEC--TAN``).
    radesys : str or None
        Celestial frame (``FK5`` for XMM).
    equinox : float or None
        Equinox (2000.0).

    Examples
    --------
    >>> SkyAxes(crval=(10.0, 20.0), cdelt=(-1e-5, 1e-5), crpix=(1.0, 1.0)).wcs().wcs.ctype[0]
    'RA---TAN'
    """

    crval: tuple[float, float]
    cdelt: tuple[float, float]
    crpix: tuple[float, float]
    ctype: tuple[str, str] = ("RA---TAN", "DEC--TAN")
    radesys: str | None = None
    equinox: float | None = None

    def wcs(self) -> WCS:
        """An astropy WCS of the axes; use origin 1: ``axes.wcs().all_pix2world(x, y, 1)``."""
        wcs = WCS(naxis=2)
        wcs.wcs.ctype = list(self.ctype)
        wcs.wcs.crval = list(self.crval)
        wcs.wcs.cdelt = list(self.cdelt)
        wcs.wcs.crpix = list(self.crpix)
        wcs.wcs.cunit = ["deg", "deg"]
        if self.radesys:
            wcs.wcs.radesys = self.radesys
        if self.equinox is not None:
            wcs.wcs.equinox = self.equinox
        return wcs


@dataclass(frozen=True)
class EventListMetaData:
    """What an event list's headers say, typed.

    Attributes
    ----------
    observation : Observation
        Telescope, camera, mode, filter, identifiers.
    time : TimeSystem
        Reference epoch, time system, start and stop, exposure.
    sky : SkyAxes or None
        The projection of X/Y (None when the file has no sky axes).
    columns : dict of str to ColumnInfo
        Per-column metadata of the main table, in file order.
    macros : dict of str to str
        Selection macros defined in the headers (``XMMEA_EM = '(FLAG & 0x766ba000) == 0'`` ...).
    calsrc : str or None
        ``CALSRC``: which calibration made the file (``xmmframe-builtin`` for the built-in set).
    provenance : Provenance or None
        How xmmframe made the file (``CREATOR``, ``XPROC0``, ``DATE``); None for files made by
        other programs (SAS, the PPS).
    dss : tuple of DssEntry
        The data subspace: every filter applied to the events (``DSTYPn``/``DSVALn``...).

    Examples
    --------
    >>> meta = EventListMetaData(Observation(instrument="EMOS2"), TimeSystem(tstart=0.0, tstop=10.0))
    >>> meta.observation.instrument, meta.time.elapsed, meta.sky
    ('EMOS2', 10.0, None)
    """

    observation: Observation = field(default_factory=Observation)
    time: TimeSystem = field(default_factory=TimeSystem)
    sky: SkyAxes | None = None
    columns: dict[str, ColumnInfo] = field(default_factory=dict)
    macros: dict[str, str] = field(default_factory=dict)
    calsrc: str | None = None
    provenance: Provenance | None = None
    dss: tuple[DssEntry, ...] = ()


@dataclass(frozen=True)
class ProductMetaData:
    """What a product's headers say, typed: the observation, times, selection and how it was made.

    Attributes
    ----------
    observation : Observation
        Telescope, camera, mode, filter, identifiers (copied from the event list).
    time : TimeSystem
        Reference epoch, time system, start and stop.
    selection : str or None
        ``SLCTEXPR``: the selection expression the events were filtered with (macros expanded).
    calsrc : str or None
        ``CALSRC``: the calibration the product was made with.
    provenance : Provenance or None
        How xmmframe made the product (``CREATOR``, ``XPROC0``, ``DATE``); None for other programs' files.
    dss : tuple of DssEntry
        The data subspace of the events the product was made from (region and time selection included).

    Examples
    --------
    >>> ProductMetaData(Observation(instrument="EPN"), selection="PATTERN<=4").selection
    'PATTERN<=4'
    """

    observation: Observation = field(default_factory=Observation)
    time: TimeSystem = field(default_factory=TimeSystem)
    selection: str | None = None
    calsrc: str | None = None
    provenance: Provenance | None = None
    dss: tuple[DssEntry, ...] = ()
