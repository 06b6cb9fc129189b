"""Everything one exposure's processing needs before its events: files, frames, attitude, pointing,
bad pixels, GTIs and the header facts; and the event list's extensions.

Examples
--------
>>> import xmmframe
>>> obs = xmmframe.open_odf("xmmframe-demo/odf")                                 # doctest: +SKIP
>>> from xmmframe.proc.exposure import prepare_exposure
>>> inp = prepare_exposure(obs, "PN", obs.imaging_exposures("PN")[0])             # doctest: +SKIP
>>> inp.facts.ontime[4] > 0                                                      # doctest: +SKIP
True
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import polars as pl

from xmmframe.errors import OdfError, OdfWarning
from xmmframe.model.attitude import Attitude
from xmmframe.model.geometry import Camera, camera
from xmmframe.model.hdu import RawHdu
from xmmframe.model.mission_time import mission_seconds
from xmmframe.model.observation import EVENT_KIND, FRAME_KIND, Observation
from xmmframe.model.odf_set import EPIC_INSTRUMENTS, ExposureRecord
from xmmframe.proc.badpix import combine, find_hot_pixels, pixel_counts
from xmmframe.proc.calibration import DetectorCalibration, detector_calibration
from xmmframe.proc.coordinates import SkyGrid
from xmmframe.proc.frames import ExposureFrames, exposure_frames
from xmmframe.proc.header import ExposureFacts, badpix_hdu, calindex_hdu, exposure_hdu, gti_hdu, offsets_hdu


@dataclass(frozen=True)
class ExposureInput:
    """The prepared inputs of one exposure.

    Attributes
    ----------
    obs : Observation
        The ODF.
    code, instrument : str
        ``PN``/``M1``/``M2`` and ``EPN``/``EMOS1``/``EMOS2``.
    record : ExposureRecord
        The exposure (number, CCDs).
    frames : ExposureFrames
        Frame times, bad frames, GTIs.
    attitude : Attitude
        Attitude history.
    camera : Camera
        Geometry.
    calibration : DetectorCalibration
        Gain, offsets, CTI, thresholds, CCF bad pixels.
    badpix : polars.DataFrame
        Calibration bad pixels plus those found in this exposure.
    facts : ExposureFacts
        Header facts.
    """

    obs: Observation
    code: str
    instrument: str
    record: ExposureRecord
    frames: ExposureFrames
    attitude: Attitude
    camera: Camera
    calibration: DetectorCalibration
    badpix: pl.DataFrame
    facts: ExposureFacts

    def raw_events(self) -> pl.LazyFrame:
        """The exposure's raw events (all CCDs) with CCDNR."""
        return self.obs.raw_events(self.code, self.record.number)


def _keyword(header, key: str, default: object = None) -> object:  # noqa: ANN001 - astropy Header
    value = header.get(key, default)
    return value.strip() if isinstance(value, str) else value


def prepare_exposure(
    obs: Observation,
    code: str,
    record: ExposureRecord,
    calibration: DetectorCalibration | None = None,
    attitude: Attitude | None = None,
    find_hot: bool = True,
) -> ExposureInput:
    """Read frames and attitude, find hot pixels, compute GTIs and header facts of one exposure.

    Raises
    ------
    OdfError
        A required file (AUX frame file, IME event files, ATS attitude) is missing or unusable;
        an event file's CCD has no frames; the attitude does not cover the exposure.
    """
    instrument = EPIC_INSTRUMENTS[code]
    cam = camera(instrument)
    number = record.number
    event_files = obs.files(code, EVENT_KIND, number).sort("CCD")
    if event_files.height == 0:
        raise OdfError(f"no imaging event files (IME) for {code} exposure {number:03d}", obs.directory)
    first = str(event_files["PATH"][0])
    header = obs.header(first)
    aux_path = obs.path(code, FRAME_KIND, number)
    from xmmframe.io.odf_directory import read_constituent

    aux = read_constituent(aux_path)
    if aux.height == 0:
        raise OdfError("the frame file has no frames", aux_path)
    frame_ms = _keyword(header, "FRMTIME") or _keyword(obs.header(aux_path), "FRMTIME")
    if frame_ms is None:
        raise OdfError("no FRMTIME keyword (frame time) in the event or frame file", first)
    mode = str(_keyword(header, "SUBMODE") or _keyword(header, "CCDMODE") or record.mode or "PrimeFullWindow")
    date_obs = str(_keyword(header, "DATE-OBS") or record.start or "")
    if not date_obs:
        raise OdfError("no DATE-OBS keyword: cannot anchor the frame times", first)
    cal = calibration or detector_calibration(instrument, observation_date=date_obs[:19])
    t_start = float(mission_seconds(date_obs[:19]))
    frames = exposure_frames(aux, instrument, mode, float(frame_ms) / 1000.0, t_start)
    frame_ccds = set(frames.ccds)
    for ccd in event_files["CCD"].to_list():
        if ccd not in frame_ccds:
            raise OdfError(f"the frame file has no frames for CCD {ccd}", aux_path)
    if attitude is None:
        attitude = obs.attitude()
    if not attitude.covers(frames.tstart, frames.tstop):
        warnings.warn(
            f"the attitude history ({attitude.time[0]:.0f}-{attitude.stop:.0f}) does not cover the "
            f"{code} exposure ({frames.tstart:.0f}-{frames.tstop:.0f}); edge values are used",
            OdfWarning,
            stacklevel=2,
        )
    ra, dec, pa = attitude.median_pointing(frames.tstart, frames.tstop)
    grid = SkyGrid(ra, dec)
    found = pl.DataFrame()
    known = cal.bad_pixels
    if find_hot:
        counts = pixel_counts(obs.raw_events(code, number).select("CCDNR", "RAWX", "RAWY", "FRAME"))
        n_frames = int(frames.table.group_by("CCDNR").len()["len"].max() or 1)
        found = find_hot_pixels(counts, n_frames)
    badpix = combine(known, found) if found.height else combine(known, known.clear())
    ccds = [c for c in event_files["CCD"].to_list()]
    ontime = {c: frames.gti(c).duration for c in ccds}
    livetime = {c: frames.livetime(c) for c in ccds}
    summary = obs.summary
    ra_obj = summary.proposal.target_ra_deg if summary.proposal and summary.proposal.target_ra_deg else ra
    dec_obj = summary.proposal.target_dec_deg if summary.proposal and summary.proposal.target_dec_deg else dec
    facts = ExposureFacts(
        instrument=instrument,
        obs_id=obs.obs_id,
        exposure=number,
        expidstr=str(_keyword(header, "EXPIDSTR") or record.expidstr),
        submode=mode,
        filter=str(_keyword(header, "FILTER") or record.filter or "UNKNOWN"),
        date_obs=date_obs,
        date_end=str(_keyword(header, "DATE-END") or record.end or ""),
        revolution=obs.revolution,
        target=str(_keyword(header, "OBJECT") or (summary.proposal.target if summary.proposal else "") or ""),
        ra_obj=float(ra_obj),
        dec_obj=float(dec_obj),
        tstart=frames.tstart,
        tstop=frames.tstop,
        grid=grid,
        pa_pnt=pa,
        attitude_source="AHF" if attitude.source == "AHF" else "ATS",
        frame_time=frames.frame_time,
        ontime=ontime,
        livetime=livetime,
        calsrc=cal.source,
    )
    record = record if record.ccds else ExposureRecord(code, f"{number:03d}", ccds=tuple(ccds))
    return ExposureInput(obs, code, instrument, record, frames, attitude, cam, cal, badpix, facts)


def extensions(inp: ExposureInput) -> list[RawHdu]:
    """OFFSETS, EXPOSUnn + BADPIXnn per CCD, STDGTInn per CCD, CALINDEX (PPS order)."""
    facts = inp.facts
    ccds = sorted(facts.ontime)
    hdus = [
        offsets_hdu(
            inp.instrument,
            inp.calibration.offsets_frame()
            .filter(pl.col("CCDNR").is_in(ccds))
            .select("RAWX", "OFFSETX", "CCDNR"),
        )
    ]
    for ccd in ccds:
        hdus.append(
            exposure_hdu(
                facts,
                ccd,
                inp.frames.exposure_table(ccd, with_timedel=inp.instrument != "EPN"),
                inp.frames.gti(ccd),
            )
        )
        hdus.append(badpix_hdu(facts, ccd, inp.badpix.filter(pl.col("CCDNR") == ccd).drop("CCDNR")))
    for ccd in ccds:
        hdus.append(gti_hdu(ccd, inp.frames.gti(ccd)))
    hdus.append(calindex_hdu(inp.calibration.calindex, inp.calibration.source, facts.date_obs))
    return hdus
