"""Independent reference code shared by tests: what astropy alone says about a FITS event list.

Examples
--------
>>> from astropy.io import fits
>>> header = fits.getheader("M1_clean.fits", "EVENTS")        # doctest: +SKIP
>>> events_sky_wcs(header).all_pix2world(25921, 25921, 1)     # doctest: +SKIP
"""

from __future__ import annotations

from astropy.io import fits
from astropy.wcs import WCS


def events_sky_wcs(header: fits.Header) -> WCS:
    """The sky WCS of the X/Y columns of an EVENTS header, built by astropy from TCTYP/TCRVL/TCRPX/TCDLT."""
    names = [header[f"TTYPE{n}"] for n in range(1, header["TFIELDS"] + 1)]
    nx, ny = names.index("X") + 1, names.index("Y") + 1
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = [header[f"TCTYP{nx}"], header[f"TCTYP{ny}"]]
    wcs.wcs.crval = [header[f"TCRVL{nx}"], header[f"TCRVL{ny}"]]
    wcs.wcs.crpix = [header[f"TCRPX{nx}"], header[f"TCRPX{ny}"]]
    wcs.wcs.cdelt = [header[f"TCDLT{nx}"], header[f"TCDLT{ny}"]]
    return wcs
