"""Frame timing of a simulated exposure: frame start times, telemetry gaps, bad frames, AUX rows.

A camera integrates in frames of fixed length (pn full frame 73.4 ms, extended full frame 199.1 ms,
MOS full frame 2.6 s).  Frame start times are expressed as the ODF does: ``FTCOARSE`` (whole
seconds of the on-board clock, modulo 32768, a 16-bit counter) and ``FTFINE`` (pn: units of
20.48 us, stored unsigned; MOS: units of 40 us).  The quantised times are the truth: events are
stamped with the centre of their frame (pn) or a uniform time inside it (MOS, like ``RAND_TIM``).

Examples
--------
>>> import numpy as np
>>> from xmmframe.sim.frames import FrameSchedule
>>> s = FrameSchedule.build("EMOS1", 1000.0, 30.0, np.random.default_rng(1), gaps=0)
>>> s.frame_time, s.start.size
(2.6, 11)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

#: Frame integration time (s) by camera mode.
FRAME_TIMES = {
    "PrimeFullWindow:EPN": 0.0734,
    "PrimeFullWindowExtended:EPN": 0.1991,
    "PrimeFullWindow:EMOS": 2.6,
}
#: Fine-time tick (s) of pn and MOS frame times.
FINE_TICK = {"EPN": 20.48e-6, "EMOS": 40e-6}
#: Wrap-around of the coarse frame-time counter (s).
COARSE_WRAP = 32768


def frame_time(instrument: str, mode: str) -> float:
    """Frame time (s) of a camera in a mode."""
    key = f"{mode}:{'EPN' if instrument == 'EPN' else 'EMOS'}"
    if key not in FRAME_TIMES:
        raise ValueError(f"no frame time for {instrument} in mode {mode}")
    return FRAME_TIMES[key]


@dataclass(frozen=True)
class FrameSchedule:
    """The frames of one exposure (identical for every CCD of the camera).

    Attributes
    ----------
    instrument : str
        Camera.
    frame_time : float
        Integration time per frame (s).
    number : numpy.ndarray
        FRAME counter of each kept frame.
    start : numpy.ndarray
        Quantised start time (mission s) of each kept frame.
    bad : numpy.ndarray
        Frames flagged bad on board (MOS FIFO overflow).
    first_frame : int
        FRAME counter of the (possibly dropped) first frame.
    t0 : float
        Start of the first frame.
    total : int
        Frames including the dropped ones.
    """

    instrument: str
    frame_time: float
    number: np.ndarray
    start: np.ndarray
    bad: np.ndarray
    first_frame: int
    t0: float
    total: int

    @classmethod
    def build(
        cls,
        instrument: str,
        t0: float,
        exposure: float,
        rng: np.random.Generator,
        gaps: int = 1,
        mode: str = "PrimeFullWindow",
        bad_fraction: float = 0.0,
    ) -> "FrameSchedule":
        """Frames covering ``[t0, t0 + exposure)`` with ``gaps`` telemetry drops of 60 s."""
        dt = frame_time(instrument, mode)
        total = int(exposure // dt)
        tick = FINE_TICK["EPN" if instrument == "EPN" else "EMOS"]
        ideal = t0 + dt * np.arange(total)
        start = np.floor(ideal) + np.round((ideal - np.floor(ideal)) / tick) * tick
        keep = np.ones(total, dtype=bool)
        for _ in range(gaps):
            a = rng.uniform(0.1, 0.9) * exposure
            keep &= ~((start - t0 >= a) & (start - t0 < a + 60.0))
        first = int(rng.integers(1000, 100000))
        number = first + np.arange(total)
        bad = rng.random(total) < bad_fraction
        return cls(instrument, dt, number[keep], start[keep], bad[keep], first, float(t0), total)

    def window(self, first: int, stop: int) -> tuple["FrameSchedule", int]:
        """Frames ``first <= k < stop`` of the exposure (``k`` counting dropped frames too) as a schedule
        of their own starting at ``t0 + first * frame_time``, and the row of its first kept frame here.

        Examples
        --------
        >>> s = FrameSchedule.build("EMOS1", 1000.0, 30.0, np.random.default_rng(1), gaps=0)
        >>> part, row = s.window(4, 8)
        >>> part.number.tolist() == s.number[4:8].tolist(), row, part.total
        (True, 4, 4)
        """
        rows = slice(*np.searchsorted(self.number, self.first_frame + np.array([first, stop])).tolist())
        part = FrameSchedule(
            self.instrument,
            self.frame_time,
            self.number[rows],
            self.start[rows],
            self.bad[rows],
            self.first_frame + first,
            self.t0 + first * self.frame_time,
            stop - first,
        )
        return part, int(rows.start)

    def locate(self, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(row, valid)``: the kept-frame row integrating each time, and whether such a frame exists."""
        k = np.floor((np.asarray(times) - self.t0) / self.frame_time).astype(np.int64)
        wanted = self.first_frame + k
        row = np.searchsorted(self.number, wanted)
        row = np.clip(row, 0, self.number.size - 1)
        valid = (k >= 0) & (k < self.total) & (self.number[row] == wanted)
        return row, valid

    def coarse_fine(self) -> tuple[np.ndarray, np.ndarray]:
        """``FTCOARSE`` (s modulo 32768) and ``FTFINE`` (ticks) of the kept frames."""
        tick = FINE_TICK["EPN" if self.instrument == "EPN" else "EMOS"]
        coarse = np.floor(self.start)
        fine = np.round((self.start - coarse) / tick).astype(np.int64)
        return (coarse.astype(np.int64) % COARSE_WRAP), fine

    def aux_frame(self, ccds: tuple[int, ...], counts: dict[int, np.ndarray]) -> pl.DataFrame:
        """AUX rows (one per frame and CCD) in the ODF layout of the camera.

        ``counts[ccd]`` holds the number of transmitted events of each kept frame (MOS ``NVALID``).
        """
        coarse, fine = self.coarse_fine()
        nframes = self.number.size
        ccd_col = np.repeat(np.asarray(ccds), nframes)
        tiled = {
            "FRAME": pl.Series(np.tile(self.number, len(ccds)), dtype=pl.Int32),
        }
        if self.instrument == "EPN":
            quadrant = (ccd_col - 1) // 3
            return pl.DataFrame(
                {
                    **tiled,
                    "CYCLE": pl.Series(np.tile(np.arange(nframes), len(ccds)), dtype=pl.Int32),
                    "FTCOARSE": pl.Series(np.tile(coarse, len(ccds)), dtype=pl.Int16),
                    "FTFINE": pl.Series(np.tile(fine, len(ccds)), dtype=pl.UInt16),
                    "QUADRANT": pl.Series(quadrant, dtype=pl.UInt8),
                    "CCDID": pl.Series(ccd_col, dtype=pl.UInt8),
                }
            )
        nvalid = np.concatenate([counts.get(c, np.zeros(nframes, np.int64)) for c in ccds])
        return pl.DataFrame(
            {
                **tiled,
                "CCDID": pl.Series(ccd_col, dtype=pl.UInt8),
                "CCDNODE": pl.Series(np.zeros(ccd_col.size), dtype=pl.UInt8),
                "FTCOARSE": pl.Series(np.tile(coarse, len(ccds)), dtype=pl.Int16),
                "FTFINE": pl.Series(np.tile(fine, len(ccds)), dtype=pl.Int16),
                "NPIXEL": pl.Series(np.zeros(ccd_col.size), dtype=pl.Int32),
                "NVALID": pl.Series(np.minimum(nvalid, 32767), dtype=pl.Int16),
                "NBELOW": pl.Series(np.zeros(ccd_col.size), dtype=pl.Int16),
                "NABOVE": pl.Series(np.zeros(ccd_col.size), dtype=pl.Int16),
                "GATTIFLG": pl.Series(np.ones(ccd_col.size), dtype=pl.UInt8),
                "FIFOOVF": pl.Series(np.tile(self.bad.astype(np.uint8), len(ccds)), dtype=pl.UInt8),
            }
        ).sort(["FRAME", "CCDID"])
