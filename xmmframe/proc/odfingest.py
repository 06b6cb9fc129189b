"""odfingest: write the SAS summary file (``*SUM.SAS``) of an ODF from its ``*SUM.ASC`` and constituents.

Like SAS ``odfingest`` the result lists the constituents, the observation, ``PATH`` (where the
constituents are) and one INSTRUMENT record per instrument with an EXPOSURE record and a
CONFIGURATION record per exposure.  The exposure records are built from the constituents'
headers (``DATE-OBS``/``DATE-END``, ``SUBMODE``/``CCDMODE``, ``FILTER``, the CCDs present) for EPIC
exposures; other instruments get records with what their file names tell.  The configuration
holds ``MODE``, ``CALIBRATION_MODE_n``, ``DATA_MODE_n`` (``Imaging`` for IME files), ``FILTER``
and the frame time - a subset of the real record, which also carries the on-board set-up.

Examples
--------
>>> from xmmframe.proc.odfingest import odfingest
>>> path = odfingest("xmmframe-demo/odf", "xmmframe-demo/odf")         # doctest: +SKIP
>>> path.endswith("SCX00000SUM.SAS")                                   # doctest: +SKIP
True
"""

from __future__ import annotations

import os
from dataclasses import replace

import polars as pl

from xmmframe._version import __version__
from xmmframe.errors import OdfError
from xmmframe.io.odf_directory import constituent_header, index_constituents, locate_odf
from xmmframe.io.odf_summary import format_summary_sas, read_summary, write_summary
from xmmframe.model.hdu import creation_date
from xmmframe.model.observation import Observation
from xmmframe.model.odf_set import (
    EPIC_INSTRUMENTS,
    ConfigParameter,
    Configuration,
    ExposureRecord,
    InstrumentRecord,
    OdfFileName,
)
from xmmframe.model.provenance import Provenance

_DATA_MODES = {
    "IME": "Imaging",
    "TIE": "Timing",
    "BUE": "Burst",
    "RIE": "ReducedImaging",
    "CTE": "CompressedTiming",
}


def _exposure_record(obs: Observation, code: str, number: int, flag: str) -> ExposureRecord:
    files = obs.files(code, exposure=number)
    identifier = f"{number:03d}"
    commanded = f"{obs.obs_id}{code}{flag}{identifier}"
    record = ExposureRecord(
        code, identifier, scheduled=flag == "S", kind="SCIENCE", commanded_id=commanded, proposal_id=commanded
    )
    science = files.filter(pl.col("KIND").is_in(list(_DATA_MODES)))
    if code not in EPIC_INSTRUMENTS or science.height == 0:
        return record
    header = constituent_header(str(science.sort("CCD")["PATH"][0]))
    mode = str(header.get("SUBMODE") or header.get("CCDMODE") or "UNDEFINED").strip()
    start = str(header.get("DATE-OBS", "")).strip() or None
    end = str(header.get("DATE-END", "")).strip() or None
    parameters = [ConfigParameter("MODE", mode, "Instrument configuration")]
    ccds = science.select("CCD", "KIND").unique().sort("CCD").rows()
    parameters += [
        ConfigParameter(f"CALIBRATION_MODE_{ccd}", mode, f"Mode used to calibrate events from CCD {ccd}")
        for ccd, _ in ccds
    ]
    parameters += [
        ConfigParameter(f"DATA_MODE_{ccd}", _DATA_MODES[kind], f"Data mode for CCD {ccd}")
        for ccd, kind in ccds
    ]
    if header.get("FILTER"):
        parameters.append(ConfigParameter("FILTER", str(header["FILTER"]).strip(), "Filter"))
    if header.get("FRMTIME") is not None:
        parameters.append(ConfigParameter("FRAME_TIME", str(header["FRMTIME"]), "[ms] Frame time"))
    title = "EPIC PN" if code == "PN" else "EPIC MOS"
    return replace(
        record,
        scheduled_start=start,
        scheduled_end=end,
        start=start,
        end=end,
        configuration=Configuration(title, len(parameters), tuple(parameters)),
        ccds=tuple(c for c, _ in ccds),
    )


def odfingest(odf: str | os.PathLike[str], outdir: str | os.PathLike[str] | None = None) -> str:
    """Write ``RRRR_OOOOOOOOOO_SCX00000SUM.SAS`` for an ODF directory (or archive); returns its path.

    Parameters
    ----------
    odf : path
        ODF directory (with its ``*SUM.ASC``), summary file or tar archive.
    outdir : path, optional
        Where to write the summary (default: the ODF directory).

    Raises
    ------
    OdfError
        No raw ``*SUM.ASC`` summary in the ODF.
    """
    directory, summary_path = locate_odf(odf)
    if not summary_path.upper().endswith("SUM.ASC"):
        asc = [n for n in os.listdir(directory) if n.upper().endswith("SUM.ASC")]
        if not asc:
            raise OdfError("odfingest needs the ODF's raw summary file *SUM.ASC", directory)
        summary_path = os.path.join(directory, sorted(asc)[-1])
    summary = read_summary(summary_path)
    obs = Observation(summary, directory, summary_path, index_constituents(directory, summary))
    instruments = []
    for code, record in summary.instruments.items():
        exposures = tuple(
            _exposure_record(obs, code, e.number, e.expidstr[0] if e.scheduled is not None else "X")
            for e in record.exposures
        )
        instruments.append(InstrumentRecord(code, True, len(exposures), exposures))
    name = OdfFileName.make(int(summary.revolution), summary.obs_id, "SC", "X", 0, "00", "SUM", "SAS")
    files = [f for f in summary.files if not f[0].upper().endswith("SUM.SAS")] + [(name, "ODF Constituent")]
    metadata = tuple(summary.configuration.parameters) if summary.configuration else ()
    metadata += (
        ConfigParameter("ODFINGEST_VERSION", __version__, "xmmframe odfingest version"),
        ConfigParameter(
            "PROCESS_DATE",
            creation_date(milliseconds=True),
            "Time and Date when summary file produced",
        ),
    )
    result = replace(
        summary,
        format="SAS",
        path=os.path.abspath(directory),
        files=tuple(files),
        declared_files=len(files),
        instrument_records=tuple(instruments),
        configuration=Configuration("", len(metadata), metadata),
    )
    target = os.path.join(os.fspath(outdir) if outdir is not None else directory, name)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    date = creation_date(milliseconds=True)
    write_summary(target, format_summary_sas(result, Provenance("odfingest").creator, date))
    return target
