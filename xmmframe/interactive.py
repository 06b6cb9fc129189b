"""Draw regions and choose good times in Jupyter: an anywidget around the service's browser viewer.

:class:`Viewer` shows an exposure's counts image and its flare light curve with the same
JavaScript viewer as the web service's exposure page (``xmmframe/service/static/viewer.js``;
the payloads come from :mod:`xmmframe.service.viewdata`).  Regions drawn on the image and time
ranges brushed on the light curve come back to Python as they change:

* :attr:`Viewer.regions_text` - the ds9 region file (physical coordinates; each shape tagged
  ``tag={source}`` or ``tag={background}``), :attr:`Viewer.regions` - the same as astropy
  ``regions`` objects, :attr:`Viewer.source_region` / :attr:`Viewer.background_region` - xmmframe
  :class:`~xmmframe.select.Region` selections of the source and background shapes;
* :attr:`Viewer.gti` - the chosen good time intervals as an xmmframe :class:`~xmmframe.GTI`
  (starting as :func:`xmmframe.products.flare_gti`'s), and :attr:`Viewer.exposure` their length.

They go straight into the products: ``events.spectrum(selection=viewer.source_region,
gti=viewer.gti)``, ``events.lightcurve(100, selection=viewer.source_region, gti=viewer.gti)``.
Works wherever anywidget does (JupyterLab, Notebook 7, VS Code, marimo); needs the
``interactive`` extra (``pip install 'xmmframe[interactive]'``).

Examples
--------
>>> import xmmframe
>>> from xmmframe.interactive import Viewer
>>> events = xmmframe.open_events("P0001730201M1S002MIEVLI.FTZ")                 # doctest: +SKIP
>>> viewer = Viewer(events)                                                      # doctest: +SKIP
>>> viewer                                                                       # doctest: +SKIP
>>> spectrum = events.spectrum(selection=viewer.source_region, gti=viewer.gti)   # doctest: +SKIP
"""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

import anywidget
import traitlets
from regions import Regions

from xmmframe.errors import RegionFileError
from xmmframe.model.events import EventList
from xmmframe.model.gti import GTI
from xmmframe.products.gti_from_rate import flare_gti
from xmmframe.select.region import Region
from xmmframe.service.viewdata import image_payload, screening_payload

_PHYSICAL = re.compile(r"(?im)^(\s*)physical\b")
_EXCLUDED = re.compile(r"#.*\binclude=0\b")


def _static(name: str) -> str:
    return resources.files("xmmframe.service").joinpath("static", name).read_text(encoding="utf-8")


def widget_module() -> str:
    """The widget's ES module: ``viewer.js`` (which defines ``XmmViewer``) then ``widget.js``.

    Returns
    -------
    str
        JavaScript source with ``export default {render}`` as anywidget expects.

    Examples
    --------
    >>> "export default" in widget_module() and "XmmViewer" in widget_module()
    True
    """
    return _static("viewer.js") + "\n" + _static("widget.js")


def parse_ds9(text: str) -> Regions:
    """ds9 region text in physical coordinates as astropy ``regions`` objects.

    ``regions`` has no ``physical`` frame; the text is read as ``image`` coordinates, so the
    pixel regions are 0-based: ``center.x`` is the physical X minus 1 (as
    :func:`xmmframe.io.regions.read_ds9` reads it).  Each region's ``meta["tag"]`` keeps its
    ``source``/``background`` tag.

    Parameters
    ----------
    text : str
        A ds9 region file's text (the viewer's :attr:`Viewer.regions_text`).

    Returns
    -------
    regions.Regions

    Examples
    --------
    >>> shapes = parse_ds9("physical\\ncircle(101,201,20) # tag={source}")
    >>> shapes[0].center.x, shapes[0].radius, shapes[0].meta["tag"]
    (100.0, 20.0, ['source'])
    """
    return Regions.parse(_PHYSICAL.sub(r"\1image", text or ""), format="ds9")


def _is_background(region: Any) -> bool:
    return "background" in [str(t).lower() for t in region.meta.get("tag", [])]


def role_region(text: str, role: str) -> Region | None:
    """The xmmframe selection of the ``source`` or ``background`` shapes of ds9 text.

    Shapes tagged ``tag={background}`` are the background, every other shape the source;
    exclusions (``-circle(...)``) of either role are removed from both.

    Parameters
    ----------
    text : str
        ds9 region text in physical coordinates.
    role : {"source", "background"}
        Which shapes.

    Returns
    -------
    xmmframe.select.Region or None
        None when the text has no shape of that role.

    Examples
    --------
    >>> text = "physical\\ncircle(100,200,20) # tag={source}\\nannulus(100,200,30,60) # tag={background}"
    >>> role_region(text, "background").to_sas()
    '((X,Y) in annulus(100,200,30,60))'
    """
    if role not in ("source", "background"):
        raise ValueError(f"role must be 'source' or 'background', not {role!r}")
    shapes = list(parse_ds9(text))
    excluded = [s for s in shapes if s.meta.get("include", 1) == 0]
    background = role == "background"
    wanted = [s for s in shapes if s.meta.get("include", 1) != 0 and _is_background(s) == background]
    if not wanted:
        return None
    chosen = wanted + excluded
    body = re.sub(r"(?im)^(\s*)image\b", r"\1physical", Regions(chosen).serialize(format="ds9"))
    # regions writes an exclusion as the property "include=0"; ds9 (and xmmframe) read a leading "-"
    lines = ["-" + line if _EXCLUDED.search(line) else line for line in body.splitlines()]
    return Region.from_ds9("\n".join(lines) + "\n", source=f"{role} region")


class Viewer(anywidget.AnyWidget):
    """An exposure's image and flare light curve where regions and good times are chosen.

    Parameters
    ----------
    events : EventList
        The exposure (pn or MOS).
    bin : float
        Sky pixels per image pixel.
    band : (float, float)
        PI range (eV) of the image.
    timebin : float
        Light-curve bin (s).
    threshold : float, optional
        Starting rate threshold (default :func:`~xmmframe.products.flare_gti`'s).
    regions : str
        ds9 text of regions to start with.
    gti : GTI, optional
        Good times to start with instead of the threshold's.

    Attributes
    ----------
    regions_text : str
        The ds9 region file of the drawn shapes (synced with the browser; settable).
    source, background : str
        ds9 text of the newest source and background shape (``""`` when none).
    gti_intervals : list of [start, stop]
        The good time intervals (synced; settable).
    exposure : float
        Their duration inside the exposure's TSTART..TSTOP (s).

    Examples
    --------
    >>> viewer = Viewer(xmmframe.open_events("M1_clean.fits"))                  # doctest: +SKIP
    >>> viewer.regions_text = "physical\\ncircle(24635.6,24158.8,200) # tag={source}"   # doctest: +SKIP
    >>> events.spectrum(selection=viewer.source_region, gti=viewer.gti)         # doctest: +SKIP
    """

    _esm = widget_module()
    _css = _static("viewer.css")

    image = traitlets.Dict().tag(sync=True)
    lightcurve = traitlets.Dict(allow_none=True).tag(sync=True)
    regions_text = traitlets.Unicode("").tag(sync=True)
    source = traitlets.Unicode("").tag(sync=True)
    background = traitlets.Unicode("").tag(sync=True)
    gti_intervals = traitlets.List().tag(sync=True)
    gti_given = traitlets.Bool(False).tag(sync=True)
    exposure = traitlets.Float(0.0).tag(sync=True)

    def __init__(
        self,
        events: EventList,
        *,
        bin: float = 80,
        band: tuple[float, float] = (500, 10000),
        timebin: float = 100,
        threshold: float | None = None,
        regions: str = "",
        gti: GTI | None = None,
        **kwargs: Any,
    ) -> None:
        screening = flare_gti(events, threshold=threshold, bin=timebin)
        curve = screening_payload(screening, events.meta.instrument)
        start = screening.gti if gti is None else gti
        super().__init__(
            image=image_payload(events, bin=bin, band=band),
            lightcurve=curve,
            regions_text=regions,
            gti_intervals=[[float(a), float(b)] for a, b in start.intervals],
            gti_given=gti is not None,
            **kwargs,
        )
        self._span = GTI([curve["tstart"]], [curve["tstop"]])
        self.exposure = (start & self._span).duration
        self.events = events

    @traitlets.validate("regions_text")
    def _check_regions(self, proposal: dict[str, Any]) -> str:
        try:
            parse_ds9(proposal["value"])
        except Exception as err:  # noqa: BLE001 - regions raises many kinds
            raise RegionFileError(f"cannot read the region text: {err}") from None
        return proposal["value"]

    @traitlets.observe("gti_intervals")
    def _update_exposure(self, change: dict[str, Any]) -> None:
        if hasattr(self, "_span"):
            self.exposure = (self.gti & self._span).duration

    @property
    def regions(self) -> Regions:
        """The drawn shapes as astropy ``regions`` pixel regions (0-based: physical minus 1)."""
        return parse_ds9(self.regions_text)

    @property
    def source_region(self) -> Region | None:
        """The source shapes as an xmmframe selection (None when there are none)."""
        return role_region(self.regions_text, "source")

    @property
    def background_region(self) -> Region | None:
        """The background shapes as an xmmframe selection (None when there are none)."""
        return role_region(self.regions_text, "background")

    @property
    def gti(self) -> GTI:
        """The chosen good time intervals."""
        intervals = self.gti_intervals or []
        return GTI([float(a) for a, _ in intervals], [float(b) for _, b in intervals], "viewer")

    @gti.setter
    def gti(self, value: GTI) -> None:
        self.gti_given = True
        self.gti_intervals = [[float(a), float(b)] for a, b in value.intervals]


def show(events: EventList, **options: Any) -> Viewer:
    """A :class:`Viewer` of the events (the last expression of a notebook cell displays it).

    Parameters
    ----------
    events : EventList
        The exposure.
    **options
        As for :class:`Viewer`.

    Returns
    -------
    Viewer

    Examples
    --------
    >>> viewer = show(xmmframe.open_events("M1_clean.fits"), bin=40)        # doctest: +SKIP
    """
    return Viewer(events, **options)


__all__ = ["Viewer", "parse_ds9", "role_region", "show", "widget_module"]
