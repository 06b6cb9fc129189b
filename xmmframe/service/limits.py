"""What one request and one client may ask of the service: sizes, counts and times.

Each limit is checked before any work is done and gives a clear 4xx error (413 for a body that
is too large, 422 for a field over its limit, 429 for too many jobs of one client).

Examples
--------
>>> ServiceLimits().max_expression_chars
65536
>>> ServiceLimits(max_client_jobs=4).max_client_jobs
4
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceLimits:
    """The service's limits.

    Attributes
    ----------
    max_body_bytes : int
        Largest request body (413 above it).
    max_expression_chars : int
        Longest selection expression.
    max_region_chars : int
        Longest ds9 region text (source or background).
    max_region_vertices : int
        Most vertices of all polygons of a region, and most shapes in one region.
    max_gti_intervals : int
        Most GTI intervals given in a job.
    max_time_bins : int
        Most bins of a light curve (exposure length / ``timebinsize``).
    max_client_jobs : int
        Queued and running jobs one client may have at a time (429 above it).
    max_job_seconds : float
        Run time after which a job is stopped and marked failed.
    """

    max_body_bytes: int = 8 << 20
    max_expression_chars: int = 65536
    max_region_chars: int = 8 << 20
    max_region_vertices: int = 10000
    max_gti_intervals: int = 10000
    max_time_bins: int = 1_000_000
    max_client_jobs: int = 100
    max_job_seconds: float = 600.0


__all__ = ["ServiceLimits"]
