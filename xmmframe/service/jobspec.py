"""A job request of the REST API, parsed into typed fields: what to select, where, and what to make.

The JSON body of ``POST /api/jobs`` (the job contract)::

    {"obs_id": "0001730201", "instrume": "EMOS1", "expid": null,
     "expression": "#XMMEA_EM && (PATTERN<=12) && (PI in [500:10000])",
     "source": "circle(24635.6,24158.8,200)", "background": "annulus(24635.6,24158.8,300,600)",
     "gti": [[100530000.0, 100540000.0]] | "flare" | null,
     "products": ["spectrum", "rmf", "arf", "lightcurve", "image", "events"], "timebinsize": 100}

Instead of (or as well as) ``expression``, the RISA form's selection parts may be given:
``flag`` (``"0"``, ``"#XMMEA_EP"``, ``"#XMMEA_EM"``), ``pattern`` (``"<=4"``, ``"<=12"``,
``"==0"``) and ``pi`` (``[low, high]`` eV); they are joined with ``&&``.  Other optional
fields: ``flare_threshold`` (count/s, with ``gti: "flare"``), ``imagebinsize`` (sky pixels),
``optimise`` (true: centre the source circle and choose its radius of best signal-to-noise
against the background, as SAS eregionanalyse does).

:func:`parse_job_request` checks types, names and limits only (no store needed); the
application then checks the request against the exposure (:mod:`xmmframe.service.validate`).
Every problem is a :class:`~xmmframe.errors.RequestError` naming the field.

Examples
--------
>>> spec = parse_job_request({"obs_id": "0001730201", "instrume": "EMOS1", "flag": "#XMMEA_EM",
...                           "pattern": "<=12", "pi": [500, 10000], "source": "circle(1,2,3)",
...                           "products": ["spectrum"]})
>>> spec.selection
'#XMMEA_EM && (PATTERN<=12) && (PI in [500:10000])'
>>> parse_job_request({"obs_id": "../etc", "instrume": "EMOS1", "products": ["image"]})
Traceback (most recent call last):
...
xmmframe.errors.RequestError: obs_id: '../etc' is not an observation id (1 to 16 letters and digits)
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from typing import Any

from xmmframe.errors import RequestError
from xmmframe.service.limits import ServiceLimits

#: Product types a job can make, in the order they are made.
PRODUCTS = ("spectrum", "rmf", "arf", "lightcurve", "image", "events")
INSTRUMENTS = ("EPN", "EMOS1", "EMOS2")
FLAGS = {"0": "(FLAG==0)", "#XMMEA_EP": "#XMMEA_EP", "#XMMEA_EM": "#XMMEA_EM"}
PATTERNS = {"<=4": "(PATTERN<=4)", "<=12": "(PATTERN<=12)", "==0": "(PATTERN==0)"}
FIELDS = ("obs_id", "instrume", "expid", "expression", "flag", "pattern", "pi", "source", "background", "gti",
          "flare_threshold", "products", "timebinsize", "imagebinsize", "optimise")
_IDENT = re.compile(r"^[A-Za-z0-9]{1,16}$")


@dataclass(frozen=True)
class JobSpec:
    """A parsed job request.

    Attributes
    ----------
    obs_id, instrume : str
    expid : str or None
        None: the observation's only exposure of that instrument.
    selection : str or None
        The SAS event selection (without the regions and GTI).
    source, background : str or None
        ds9 region text (physical X/Y, or a sky frame such as ``fk5;``).
    gti : None, "flare" or list of [start, stop]
    flare_threshold : float or None
    products : tuple of str
    timebinsize, imagebinsize : float
    optimise : bool
        Centre the source circle and choose its radius of best signal-to-noise against the
        background (SAS eregionanalyse) before the products are made.
    """

    obs_id: str
    instrume: str
    expid: str | None = None
    selection: str | None = None
    source: str | None = None
    background: str | None = None
    gti: Any = None
    flare_threshold: float | None = None
    products: tuple[str, ...] = ()
    timebinsize: float = 100.0
    imagebinsize: float = 80.0
    optimise: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The spec as JSON-ready data (what the job record keeps)."""
        data = asdict(self)
        data["products"] = list(self.products)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "JobSpec":
        """The spec from :meth:`to_dict` data."""
        values = dict(data)
        values["products"] = tuple(values.get("products", ()))
        return cls(**values)


def _text(body: dict[str, Any], name: str, limit: int, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise RequestError(f"{name}: required")
        return None
    if not isinstance(value, str):
        raise RequestError(f"{name}: must be a string, not {type(value).__name__}")
    if len(value) > limit:
        raise RequestError(f"{name}: {len(value)} characters is more than the limit of {limit}")
    return value


def _ident(body: dict[str, Any], name: str, required: bool, what: str) -> str | None:
    value = _text(body, name, 64, required)
    if value is not None and not _IDENT.match(value):
        raise RequestError(f"{name}: {value!r} is not {what} (1 to 16 letters and digits)")
    return value


def _number(body: dict[str, Any], name: str, default: float | None, low: float, high: float) -> float | None:
    value = body.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise RequestError(f"{name}: must be a finite number, not {value!r}")
    if not low < value <= high:
        raise RequestError(f"{name}: {value!r} is outside ({low:g}, {high:g}]")
    return float(value)


def _selection(body: dict[str, Any], limits: ServiceLimits) -> str | None:
    parts = []
    expression = _text(body, "expression", limits.max_expression_chars)
    if expression is not None and expression.strip() and expression.strip().lower() != "true":
        parts.append(f"({expression.strip()})")
    flag = body.get("flag")
    if flag is not None:
        if flag not in FLAGS:
            raise RequestError(f"flag: {flag!r} is not one of {', '.join(FLAGS)}")
        parts.append(FLAGS[flag])
    pattern = body.get("pattern")
    if pattern is not None:
        if pattern not in PATTERNS:
            raise RequestError(f"pattern: {pattern!r} is not one of {', '.join(PATTERNS)}")
        parts.append(PATTERNS[pattern])
    pi = body.get("pi")
    if pi is not None:
        if (not isinstance(pi, list) or len(pi) != 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in pi)
                or not 0 <= pi[0] <= pi[1] <= 100000):
            raise RequestError(f"pi: must be [low, high] in eV with 0 <= low <= high <= 100000, not {pi!r}")
        parts.append(f"(PI in [{pi[0]:g}:{pi[1]:g}])")
    if len(parts) == 1 and expression is not None and parts[0] == f"({expression.strip()})":
        return expression.strip()
    return " && ".join(parts) if parts else None


def _gti(body: dict[str, Any], limits: ServiceLimits) -> Any:
    value = body.get("gti")
    if value is None:
        return None
    if value == "flare":
        return "flare"
    if not isinstance(value, list):
        raise RequestError('gti: must be a list of [start, stop] intervals, "flare" or null')
    if len(value) > limits.max_gti_intervals:
        raise RequestError(f"gti: {len(value)} intervals is more than the limit of {limits.max_gti_intervals}")
    if not value:
        raise RequestError("gti: an empty list of intervals would select no time; give null for no GTI")
    intervals = []
    for index, item in enumerate(value):
        if (not isinstance(item, list) or len(item) != 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in item)
                or not item[0] < item[1]):
            raise RequestError(f"gti[{index}]: must be [start, stop] with start < stop (mission seconds), not {item!r}")
        intervals.append([float(item[0]), float(item[1])])
    return intervals


def _products(body: dict[str, Any]) -> tuple[str, ...]:
    value = body.get("products")
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise RequestError(f"products: must be a non-empty list of {', '.join(PRODUCTS)}")
    unknown = [v for v in value if v not in PRODUCTS]
    if unknown:
        raise RequestError(f"products: unknown {', '.join(map(repr, unknown[:5]))}; use {', '.join(PRODUCTS)}")
    chosen = tuple(p for p in PRODUCTS if p in value)
    if ("rmf" in chosen or "arf" in chosen) and "spectrum" not in chosen:
        raise RequestError("products: rmf and arf are made for a spectrum: add \"spectrum\"")
    return chosen


def parse_job_request(body: Any, limits: ServiceLimits | None = None) -> JobSpec:
    """Check a decoded JSON job request and return its :class:`JobSpec`.

    Raises
    ------
    xmmframe.errors.RequestError
        Naming the field at fault (HTTP 422).
    """
    limits = limits or ServiceLimits()
    if not isinstance(body, dict):
        raise RequestError(f"the job request must be a JSON object, not {type(body).__name__}")
    unknown = [name for name in body if name not in FIELDS]
    if unknown:
        raise RequestError(f"unknown field {unknown[0]!r}; the fields are {', '.join(FIELDS)}")
    obs_id = _ident(body, "obs_id", True, "an observation id")
    instrume = _text(body, "instrume", 16, True)
    if instrume not in INSTRUMENTS:
        raise RequestError(f"instrume: {instrume!r} is not one of {', '.join(INSTRUMENTS)}")
    expid = _ident(body, "expid", False, "an exposure id")
    products = _products(body)
    source = _text(body, "source", limits.max_region_chars)
    background = _text(body, "background", limits.max_region_chars)
    if source is None and any(p in products for p in ("spectrum", "lightcurve")):
        raise RequestError("source: a spectrum or light curve needs a source region (ds9 text)")
    if background is not None and source is None:
        raise RequestError("background: given without a source region")
    gti = _gti(body, limits)
    threshold = _number(body, "flare_threshold", None, 0.0, 1e6)
    if threshold is not None and gti != "flare":
        raise RequestError('flare_threshold: only with "gti": "flare"')
    optimise = body.get("optimise", False)
    if not isinstance(optimise, bool):
        raise RequestError(f"optimise: must be true or false, not {optimise!r}")
    if optimise and source is None:
        raise RequestError("optimise: needs a source region")
    return JobSpec(
        obs_id=obs_id or "", instrume=instrume, expid=expid, selection=_selection(body, limits),
        source=source, background=background, gti=gti, flare_threshold=threshold, products=products,
        timebinsize=_number(body, "timebinsize", 100.0, 0.0, 1e7) or 100.0,
        imagebinsize=_number(body, "imagebinsize", 80.0, 0.0, 51840.0) or 80.0, optimise=optimise,
    )


__all__ = ["FLAGS", "INSTRUMENTS", "PATTERNS", "PRODUCTS", "JobSpec", "parse_job_request"]
