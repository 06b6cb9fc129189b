"""Access to the calibration an analysis uses: a CIF plus CCF directories, or the built-in set.

:class:`Calibration` answers "which CCF, read as what" for an instrument.  It is made

* from a CIF (``cif=`` or ``SAS_CCF``) and CCF directories (``ccfpath=`` or ``SAS_CCFPATH``):
  the CIF's issues are used, every file it lists must be present;
* from CCF directories alone: a CIF is built for the observation date (as ``cifbuild``);
* from nothing: xmmframe's **built-in calibration set** (``xmmframe/ccf/builtin``), selected
  for the observation date through its master index.  It is derived from public XMM figures
  (see ``scripts/make_builtin_calibration.py``), products made with it carry
  ``CALSRC='xmmframe-builtin'``, and a :class:`~xmmframe.errors.CalibrationWarning` says it
  is not for publication.

Readers are cached per file.  Instruments map to scopes as SAS does: EPN -> XRT3, EMOS1 ->
XRT1, EMOS2 -> XRT2 for the mirror and PSF CCFs.

Examples
--------
>>> from xmmframe.ccf.access import Calibration
>>> cal = Calibration.open(observation_date="2012-05-14T03:49:58")     # built-in set, warns  # doctest: +SKIP
>>> cal.mirror_area("EPN").on_axis_area(1.5)                            # doctest: +SKIP
>>> cal.calsrc                                                          # doctest: +SKIP
'xmmframe-builtin'
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from typing import Any

from xmmframe.ccf.cif import CalIndex, read_cif
from xmmframe.ccf.cifbuild import ccf_path_from_environment, cifbuild
from xmmframe.errors import CalibrationError, CalibrationWarning

#: CALSRC value of products made with the built-in set.
BUILTIN_CALSRC = "xmmframe-builtin"
#: Mirror module (telescope scope) in front of each camera.
TELESCOPE = {"EPN": "XRT3", "EMOS1": "XRT1", "EMOS2": "XRT2"}


def builtin_directory() -> str:
    """Directory of the built-in calibration set shipped with the package."""
    return str(resources.files("xmmframe.ccf").joinpath("builtin"))


def instrument_name(instrument: str) -> str:
    """Normalised camera name: ``EPN``, ``EMOS1`` or ``EMOS2`` (accepts ``PN``, ``M1``, ``MOS1``...)."""
    key = instrument.strip().upper().replace(" ", "")
    aliases = {"PN": "EPN", "EPN": "EPN", "M1": "EMOS1", "MOS1": "EMOS1", "EMOS1": "EMOS1",
               "M2": "EMOS2", "MOS2": "EMOS2", "EMOS2": "EMOS2"}
    if key not in aliases:
        raise CalibrationError(f"unknown EPIC instrument {instrument!r} (expected EPN, EMOS1 or EMOS2)")
    return aliases[key]


@dataclass
class Calibration:
    """The CCFs selected for one observation, with typed readers.

    Attributes
    ----------
    index : CalIndex
        The calibration index in use.
    files : dict of (SCOPE, TYPEID) to str
        Full path of every selected CCF.
    builtin : bool
        Whether this is xmmframe's built-in set.

    Examples
    --------
    >>> cal = Calibration.open(cif="ccf.cif", ccfpath=["/ccf"])   # doctest: +SKIP
    >>> cal.filter_transmission("EPN").transmission("Thin1", 1.0)  # doctest: +SKIP
    """

    index: CalIndex
    files: dict[tuple[str, str], str]
    builtin: bool = False
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)
    used: list[str] = field(default_factory=list, repr=False)

    @classmethod
    def open(
        cls,
        cif: str | os.PathLike[str] | None = None,
        ccfpath: Sequence[str | os.PathLike[str]] | None = None,
        observation_date: str | datetime | None = None,
    ) -> "Calibration":
        """The calibration for an observation: CIF + CCF path, CCF path alone, or the built-in set.

        ``cif`` defaults to ``SAS_CCF`` and ``ccfpath`` to ``SAS_CCFPATH``; when neither is
        set the built-in set is used (with a :class:`CalibrationWarning`).

        Raises
        ------
        CalibrationError
            When the CIF lists files missing from the path, or no observation date is known
            where one is needed.
        """
        cif = cif if cif is not None else (os.environ.get("SAS_CCF") or None)
        directories = [os.fspath(d) for d in ccfpath] if ccfpath else ccf_path_from_environment()
        if cif is not None:
            index = read_cif(cif)
            if not directories:
                directories = [os.path.dirname(os.path.abspath(os.fspath(cif)))]
            return cls(index, index.resolve(directories))
        if directories:
            index = cifbuild(directories, observation_date)
            return cls(index, index.resolve(directories))
        return cls.builtin_set(observation_date)

    @classmethod
    def builtin_set(cls, observation_date: str | datetime | None = None) -> "Calibration":
        """xmmframe's built-in set, selected for ``observation_date`` (default: the latest issues).

        Warns
        -----
        CalibrationWarning
            Always: the built-in set is approximate and not for publication.
        """
        warnings.warn(
            "using xmmframe's built-in calibration set (derived from public XMM responses; approximate, "
            "not for publication): set SAS_CCF/SAS_CCFPATH or pass cif=/ccfpath= for real CCFs",
            CalibrationWarning, stacklevel=3,
        )
        directory = builtin_directory()
        index = cifbuild([directory], observation_date or datetime(2100, 1, 1), "2100-01-01T00:00:00")
        return cls(index, index.resolve([directory]), builtin=True)

    @property
    def calsrc(self) -> str:
        """Value of the ``CALSRC`` keyword of products made with this calibration."""
        return BUILTIN_CALSRC if self.builtin else "CCF"

    def path(self, scope: str, typeid: str) -> str:
        """Full path of the selected CCF of a type.

        Raises
        ------
        CalibrationError
            When the index has no such type.
        """
        for (s, t), path in self.files.items():
            if s.upper() == scope.upper() and t.upper() == typeid.upper():
                return path
        where = "the built-in calibration set" if self.builtin else "the calibration index"
        raise CalibrationError(f"{where} has no {scope.upper()}_{typeid.upper()} CCF", self.index.source)

    def _read(self, scope: str, typeid: str, reader: Callable[[str], Any]) -> Any:
        path = self.path(scope, typeid)
        if path not in self._cache:
            self._cache[path] = reader(path)
            self.used.append(os.path.basename(path))
        return self._cache[path]

    def mirror_area(self, instrument: str):  # noqa: ANN201 - MirrorArea
        """``XRTn_XAREAEF`` of the camera's telescope as a :class:`~xmmframe.ccf.xareaef.MirrorArea`."""
        from xmmframe.ccf.xareaef import read_xareaef

        return self._read(TELESCOPE[instrument_name(instrument)], "XAREAEF", read_xareaef)

    def psf(self, instrument: str):  # noqa: ANN201 - KingPsf
        """``XRTn_XPSF`` of the camera's telescope as a :class:`~xmmframe.ccf.psf.KingPsf`."""
        from xmmframe.ccf.psf import read_xpsf

        return self._read(TELESCOPE[instrument_name(instrument)], "XPSF", read_xpsf)

    def filter_transmission(self, instrument: str):  # noqa: ANN201 - FilterTransmission
        """``<camera>_FILTERTRANSX`` as a :class:`~xmmframe.ccf.filtertrans.FilterTransmission`."""
        from xmmframe.ccf.filtertrans import read_filtertrans

        return self._read(instrument_name(instrument), "FILTERTRANSX", read_filtertrans)

    def quantum_efficiency(self, instrument: str):  # noqa: ANN201 - QuantumEfficiency
        """``<camera>_QUANTUMEF`` as a :class:`~xmmframe.ccf.quantumef.QuantumEfficiency`."""
        from xmmframe.ccf.quantumef import read_quantumef

        return self._read(instrument_name(instrument), "QUANTUMEF", read_quantumef)

    def redistribution(self, instrument: str):  # noqa: ANN201 - Redistribution
        """``<camera>_REDIST`` as a :class:`~xmmframe.ccf.redist.Redistribution`."""
        from xmmframe.ccf.redist import read_redist

        return self._read(instrument_name(instrument), "REDIST", read_redist)

    def bad_pixels(self, instrument: str):  # noqa: ANN201 - BadPixels
        """``<camera>_BADPIX`` as a :class:`~xmmframe.ccf.badpix.BadPixels`."""
        from xmmframe.ccf.badpix import read_badpix

        return self._read(instrument_name(instrument), "BADPIX", read_badpix)

    def gain(self, instrument: str):  # noqa: ANN201 - EnergyScale
        """``<camera>_ADUCONV`` and ``<camera>_CTI`` as an :class:`~xmmframe.ccf.gain.EnergyScale`."""
        from xmmframe.ccf.gain import read_energy_scale

        camera = instrument_name(instrument)
        cti = self.path(camera, "CTI")
        scale = self._read(camera, "ADUCONV", lambda aduconv: read_energy_scale(aduconv, cti))
        if os.path.basename(cti) not in self.used:
            self.used.append(os.path.basename(cti))
        return scale

    def history(self) -> list[str]:
        """HISTORY lines naming the calibration used (for product headers)."""
        source = "xmmframe built-in calibration set (not for publication)" if self.builtin else (
            f"calibration index {self.index.source or '(built)'}")
        return [f"Calibration: {source}"] + [f"CCF used: {name}" for name in self.used]
