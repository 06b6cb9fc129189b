"""What a spectrum, a light curve and an image are made with: one typed description of each.

:class:`SpectrumOptions`, :class:`LightCurveOptions` and :class:`ImageOptions` are the
parameters of evselect's three products.  The same objects are taken by
:meth:`EventList.spectrum <xmmframe.model.events.EventList.spectrum>` (and ``lightcurve``,
``image``), the ``make_*`` functions of :mod:`xmmframe.products`, :func:`xmmframe.evselect`,
the web service and the demo; keyword arguments build them (:meth:`SpectrumOptions.build`).

Each class also declares, once, how SAS evselect names its parameters
(:attr:`SpectrumOptions.SAS`, a tuple of :class:`SasParameter`): which SAS parameter sets which
field (``spectralbinsize`` -> ``channel_bin``), which ``with...`` switch it needs
(``specchannelmax`` only counts with ``withspecranges``), SAS's default and the help line.
The command line takes its parameters, defaults and help from these tables and maps parsed
values onto the fields with :meth:`SpectrumOptions.from_sas`.  Where xmmframe's default differs
from SAS's (``energy_column='PI'`` where evselect's par file says ``energycolumn=PHA``), the
field keeps xmmframe's and the table SAS's, so SAS command lines mean what they mean in SAS.

Examples
--------
>>> options = SpectrumOptions.build(channel_bin=10)
>>> options
SpectrumOptions(channel_bin=10, channel_min=0, channel_max=None, energy_column='PI', ignore_legal_limits=False)
>>> [(p.name, SpectrumOptions.sas_default(p)) for p in SpectrumOptions.SAS][:3]
[('spectralbinsize', 5), ('withspecranges', False), ('specchannelmin', 0)]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, TypeVar

from xmmframe.errors import ParameterError

class _FieldDefault:
    def __repr__(self) -> str:
        return "FIELD_DEFAULT"


#: Marks a :class:`SasParameter` whose SAS default is the field's default.
FIELD_DEFAULT: Any = _FieldDefault()


@dataclass(frozen=True)
class SasParameter:
    """One SAS evselect parameter and the option field it sets.

    Attributes
    ----------
    name : str
        The SAS name (``specchannelmax``).
    field : str or None
        The option field it sets; None for a ``with...`` switch, a mode selector
        (``imagebinning``) or a parameter accepted and not used.
    help : str
        One line for ``--help``.
    default : Any
        SAS's default (:data:`FIELD_DEFAULT`: the same as the field's).
    switch : str or None
        The ``with...`` switch the parameter needs; giving the parameter implies the switch.
    index : int or None
        Position in a pair field (``ximagebinsize`` is ``bin[0]``).
    when : (str, str) or None
        The parameter counts only when another has this value (``('imagebinning', 'binSize')``).
    product : bool
        Whether giving it implies the product (``xcolumn`` implies ``withimageset``); False for
        parameters more than one product uses (``energycolumn``).
    """

    name: str
    field: str | None
    help: str
    default: Any = FIELD_DEFAULT
    switch: str | None = None
    index: int | None = None
    when: tuple[str, str] | None = None
    product: bool = True


class SasValues(Protocol):
    """Parsed SAS parameters (:class:`xmmframe.cli.sas_params.SasArguments` is one)."""

    def __getitem__(self, name: str) -> Any: ...

    def given(self, name: str) -> bool: ...

    def switched_on(self, switch: str, *children: str) -> bool: ...


_Options = TypeVar("_Options", bound="ProductOptions")


class ProductOptions:
    """What the option classes share: building from keywords, from SAS parameters, recording.

    Subclasses are frozen dataclasses declaring :attr:`SAS` (their SAS parameters),
    :attr:`PRIMARY` (the field a bare positional value sets) and :attr:`RECORDED` (the fields
    written to the product's HISTORY when it is made outside evselect).
    """

    SAS: ClassVar[tuple[SasParameter, ...]] = ()
    PRIMARY: ClassVar[str] = ""
    RECORDED: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def build(cls: type[_Options], options: Any = None, /, **fields: Any) -> _Options:
        """The options from an options object, a mapping of fields or a primary value, plus fields.

        Parameters
        ----------
        options : options object, mapping or value, optional
            Starting point: an instance of this class, a ``{field: value}`` mapping (what
            :func:`xmmframe.evselect` took before these classes), or a bare value for the
            :attr:`PRIMARY` field (``events.lightcurve(100)``).
        **fields
            Fields overriding those of ``options``.

        Returns
        -------
        options object

        Raises
        ------
        xmmframe.errors.ParameterError
            For an unknown field (naming the known ones) or a missing required one.

        Examples
        --------
        >>> LightCurveOptions.build(100, rate=False) == LightCurveOptions(bin=100, rate=False)
        True
        >>> LightCurveOptions.build({"bin": 10}) == LightCurveOptions(bin=10)
        True
        """
        if isinstance(options, cls):
            base: dict[str, Any] = {}
        elif isinstance(options, ProductOptions):
            raise ParameterError(f"{cls.__name__} expected, got a {type(options).__name__}")
        elif isinstance(options, Mapping):
            base, options = dict(options), None
        elif options is None:
            base = {}
        else:
            base, options = {cls.PRIMARY: options}, None
        fields = {**base, **fields}
        names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
        unknown = [name for name in fields if name not in names]
        if unknown:
            raise ParameterError(f"{cls.__name__}: unknown option(s) {', '.join(map(repr, unknown))}; "
                                 f"the options are {', '.join(names)}")
        if options is not None:
            return dataclasses.replace(options, **fields) if fields else options
        try:
            return cls(**fields)
        except TypeError:
            missing = [f.name for f in dataclasses.fields(cls)  # type: ignore[arg-type]
                       if f.default is dataclasses.MISSING and f.name not in fields]
            raise ParameterError(f"{cls.__name__}: option(s) {', '.join(missing)} must be given") from None

    @classmethod
    def sas_default(cls, parameter: SasParameter) -> Any:
        """SAS's default of one of :attr:`SAS` (the field's default unless the table says otherwise)."""
        if parameter.default is not FIELD_DEFAULT:
            return parameter.default
        field = {f.name: f for f in dataclasses.fields(cls)}[parameter.field]  # type: ignore[arg-type]
        return field.default

    @classmethod
    def switch_children(cls, switch: str) -> tuple[str, ...]:
        """The SAS parameters whose explicit value implies ``switch`` (``withspecranges``)."""
        return tuple(p.name for p in cls.SAS if p.switch == switch)

    @classmethod
    def product_children(cls) -> tuple[str, ...]:
        """The SAS parameters whose explicit value implies the product (``withspectrumset``)."""
        return tuple(p.name for p in cls.SAS if p.product)

    @classmethod
    def from_sas(cls: type[_Options], values: SasValues, /, **fields: Any) -> _Options:
        """The options that parsed SAS evselect parameters describe.

        A switched parameter counts when its switch is on (given, or implied by giving the
        parameter: :meth:`~xmmframe.cli.sas_params.SasArguments.switched_on`); a pair field
        (``bin`` from ``ximagebinsize``/``yimagebinsize``) is a tuple.

        Parameters
        ----------
        values : SasValues
            The parsed parameters, every one of :attr:`SAS` present (default or given).
        **fields
            Fields overriding what the parameters say.

        Returns
        -------
        options object

        Examples
        --------
        >>> from xmmframe.cli.sas_params import parse_parameters, sas_params
        >>> values = parse_parameters("evselect", ["timebinsize=100", "timemin=5", "timemax=50"],
        ...                           sas_params(LightCurveOptions))
        >>> options = LightCurveOptions.from_sas(values)
        >>> options.bin, options.tmin, options.tmax, options.rate, options.energy_column
        (100.0, 5.0, 50.0, False, 'PHA')
        """
        found: dict[str, Any] = {}
        pairs: dict[str, list[Any]] = {}
        for parameter in cls.SAS:
            if parameter.field is None:
                continue
            if parameter.switch is not None and not values.switched_on(parameter.switch,
                                                                      *cls.switch_children(parameter.switch)):
                continue
            if parameter.when is not None and values[parameter.when[0]] != parameter.when[1]:
                continue
            if parameter.index is None:
                found[parameter.field] = values[parameter.name]
            else:
                pairs.setdefault(parameter.field, [None, None])[parameter.index] = values[parameter.name]
        found.update({name: tuple(pair) for name, pair in pairs.items()})
        return cls.build(**{**found, **fields})

    def history(self) -> dict[str, Any]:
        """The :attr:`RECORDED` fields by SAS name (the field's name where SAS needs two parameters).

        Examples
        --------
        >>> SpectrumOptions(channel_max=11999).history()
        {'energycolumn': 'PI', 'spectralbinsize': 5, 'specchannelmin': 0, 'specchannelmax': 11999}
        """
        recorded = {}
        for name in self.RECORDED:
            setters = [p.name for p in self.SAS if p.field == name]
            label = setters[0] if len(setters) == 1 else name
            recorded[label] = getattr(self, name)
        return recorded


@dataclass(frozen=True)
class SpectrumOptions(ProductOptions):
    """How events are binned into a PHA spectrum (SAS evselect ``withspectrumset``).

    Attributes
    ----------
    channel_bin : int
        Energy-column values per channel (SAS ``spectralbinsize``, default 5).
    channel_min : int
        First energy-column value binned (``specchannelmin`` with ``withspecranges``, default 0).
    channel_max : int or None
        Last value binned (``specchannelmax`` with ``withspecranges``); None: the standard
        grid of the instrument, 20479 for pn and 11999 for MOS.
    energy_column : str
        An integer column, normally ``PI`` (``energycolumn``; evselect's default is ``PHA``).
    ignore_legal_limits : bool
        Allow a channel range outside the column's TLMIN/TLMAX (``ignorelegallimits``).

    Examples
    --------
    >>> SpectrumOptions(channel_max=20479).channel_max
    20479
    """

    channel_bin: int = 5
    channel_min: int = 0
    channel_max: int | None = None
    energy_column: str = "PI"
    ignore_legal_limits: bool = False

    SAS: ClassVar[tuple[SasParameter, ...]] = (
        SasParameter("spectralbinsize", "channel_bin", "energy-column values per channel"),
        SasParameter("withspecranges", None, "use specchannelmin/max (else TLMIN/TLMAX)", False),
        SasParameter("specchannelmin", "channel_min", "first value binned", switch="withspecranges"),
        SasParameter("specchannelmax", "channel_max", "last value binned (pn: 20479)", 11999,
                     switch="withspecranges"),
        SasParameter("energycolumn", "energy_column", "energy column of spectra and rate sets", "PHA",
                     product=False),
        SasParameter("ignorelegallimits", "ignore_legal_limits", "allow ranges outside TLMIN/TLMAX",
                     product=False),
        SasParameter("nonStandardSpec", None, "(accepted, not used)", False),
    )
    PRIMARY: ClassVar[str] = "channel_bin"
    RECORDED: ClassVar[tuple[str, ...]] = ("energy_column", "channel_bin", "channel_min", "channel_max")


@dataclass(frozen=True)
class LightCurveOptions(ProductOptions):
    """How events are binned in time (SAS evselect ``withrateset``).

    Attributes
    ----------
    bin : float
        Bin size in seconds (SAS ``timebinsize``, whose default is 1); required.
    tmin, tmax : float or None
        Time range (``timemin``/``timemax`` with ``withtimeranges``); bins start at ``tmin``
        (default the file's TSTART) and cover ``tmax`` (default TSTOP).
    rate : bool
        RATE/ERROR columns (True) or COUNTS (``makeratecolumn``; evselect's default is no).
    energy_column : str
        Recorded as CHANTYPE, CHANMIN/CHANMAX from its legal range and the selection
        (``energycolumn``; evselect's default is ``PHA``).
    fracexp : bool
        Add a FRACEXP column: the exposed fraction of each bin (no evselect parameter).
    time_column : str
        The column binned (``timecolumn``).

    Examples
    --------
    >>> LightCurveOptions(bin=100.0).rate
    True
    """

    bin: float
    tmin: float | None = None
    tmax: float | None = None
    rate: bool = True
    energy_column: str = "PI"
    fracexp: bool = False
    time_column: str = "TIME"

    SAS: ClassVar[tuple[SasParameter, ...]] = (
        SasParameter("timecolumn", "time_column", "time column"),
        SasParameter("timebinsize", "bin", "bin size (s)", 1.0),
        SasParameter("withtimeranges", None, "use timemin/timemax (else TSTART/TSTOP)", False),
        SasParameter("timemin", "tmin", "start time", 0.0, switch="withtimeranges"),
        SasParameter("timemax", "tmax", "end time", 1000.0, switch="withtimeranges"),
        SasParameter("maketimecolumn", None, "(TIME is always written)", False),
        SasParameter("makeratecolumn", "rate", "RATE/ERROR instead of COUNTS", False),
        SasParameter("energycolumn", "energy_column", "energy column of spectra and rate sets", "PHA",
                     product=False),
    )
    PRIMARY: ClassVar[str] = "bin"
    RECORDED: ClassVar[tuple[str, ...]] = ("bin", "tmin", "tmax", "rate")


@dataclass(frozen=True)
class ImageOptions(ProductOptions):
    """How events are binned into an image (SAS evselect ``withimageset``).

    Attributes
    ----------
    bin : float or (float, float) or None
        Bin factor (``imagebinning=binSize`` with ``ximagebinsize``/``yimagebinsize``).
    size : int or (int, int) or None
        Image size in pixels (``imagebinning=imageSize`` with ``ximagesize``/``yimagesize``;
        the bin is rounded up).  With neither ``bin`` nor ``size``: 600 x 600 pixels.
    x_range, y_range : (float, float) or None
        Column ranges binned (``ximagemin``/``ximagemax`` with ``withxranges``,
        ``yimagemin``/``yimagemax`` with ``withyranges``); default the columns' TLMIN..TLMAX.
    xcolumn, ycolumn : str
        Columns binned (``xcolumn``/``ycolumn``; evselect's defaults are RAWX/RAWY).
    weights : str or None
        A column summed instead of counting, a float64 image (``zcolumn`` with ``withzcolumn``).
    square : bool
        Same bin on both axes, the larger (``squarepixels``).
    dtype : str or None
        Pixel type, ``int32`` (counts, default), ``float64``/``Real64``...
        (``imagedatatype`` with ``withimagedatatype``).

    Examples
    --------
    >>> ImageOptions(bin=80).xcolumn
    'X'
    """

    bin: float | tuple[float, float] | None = None
    x_range: tuple[float, float] | None = None
    y_range: tuple[float, float] | None = None
    size: int | tuple[int, int] | None = None
    xcolumn: str = "X"
    ycolumn: str = "Y"
    weights: str | None = None
    square: bool = False
    dtype: str | None = None

    SAS: ClassVar[tuple[SasParameter, ...]] = (
        SasParameter("xcolumn", "xcolumn", "image x column", "RAWX"),
        SasParameter("ycolumn", "ycolumn", "image y column", "RAWY"),
        SasParameter("imagebinning", None, "imageSize or binSize", "imageSize"),
        SasParameter("ximagebinsize", "bin", "x bin (binSize)", 1.0, index=0, when=("imagebinning", "binSize")),
        SasParameter("yimagebinsize", "bin", "y bin (binSize)", 1.0, index=1, when=("imagebinning", "binSize")),
        SasParameter("ximagesize", "size", "x pixels (imageSize)", 600, index=0, when=("imagebinning", "imageSize")),
        SasParameter("yimagesize", "size", "y pixels (imageSize)", 600, index=1, when=("imagebinning", "imageSize")),
        SasParameter("squarepixels", "square", "same bin on both axes"),
        SasParameter("withxranges", None, "use ximagemin/ximagemax", False),
        SasParameter("ximagemin", "x_range", "x range minimum", 1.0, switch="withxranges", index=0),
        SasParameter("ximagemax", "x_range", "x range maximum", 640.0, switch="withxranges", index=1),
        SasParameter("withyranges", None, "use yimagemin/yimagemax", False),
        SasParameter("yimagemin", "y_range", "y range minimum", 1.0, switch="withyranges", index=0),
        SasParameter("yimagemax", "y_range", "y range maximum", 640.0, switch="withyranges", index=1),
        SasParameter("withimagedatatype", None, "use imagedatatype (else Int32 counts)", False),
        SasParameter("imagedatatype", "dtype", "Int32, Real32 or Real64", "Real64", switch="withimagedatatype"),
        SasParameter("withzcolumn", None, "weight images by zcolumn", False),
        SasParameter("zcolumn", "weights", "weight column of images", "WEIGHT", switch="withzcolumn"),
        SasParameter("withzerrorcolumn", None, "(not supported)", False),
        SasParameter("zerrorcolumn", None, "(not supported)", "EWEIGHT"),
        SasParameter("withcelestialcenter", None, "(not supported)", False),
        SasParameter("raimagecenter", None, "(not supported)", 0.0),
        SasParameter("decimagecenter", None, "(not supported)", 0.0),
    )
    PRIMARY: ClassVar[str] = "bin"
    RECORDED: ClassVar[tuple[str, ...]] = ("xcolumn", "ycolumn", "bin", "size", "x_range", "y_range")


__all__ = ["FIELD_DEFAULT", "ImageOptions", "LightCurveOptions", "ProductOptions", "SasParameter", "SasValues",
           "SpectrumOptions"]
