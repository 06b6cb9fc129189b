"""Science products from event lists: spectra, light curves, images, GTIs from rates, evselect.

Modules: :mod:`.binning` (the shared numba histogram kernels), :mod:`.exposure` (per-CCD
good times, ONTIME, LIVETIME, FRACEXP), :mod:`.context` (what a product is made from or says
about itself: shared header cards, the keywords and region responses read), :mod:`.sky_pixels`
(positions on a product's sky pixel grid), :mod:`.spectrum`, :mod:`.lightcurve`, :mod:`.image`, :mod:`.gti_from_rate` (tabgtigen and the
flare recipe), :mod:`.lightcurve_corrections` (epiclccorr's exposure, background, relative and
absolute corrections), :mod:`.filtered` (the filtered event list), :mod:`.evselect` (one pass,
many products), :mod:`.ccd_footprints` (CCD footprints from the camera geometry of
:mod:`xmmframe.model.geometry`, bad pixels and field of view of an event list),
:mod:`.backscale` (exposed region areas, SAS backscale), :mod:`.rmf` and :mod:`.arf` (SAS
rmfgen and arfgen),
:mod:`.resolution` and :mod:`.grouping` (SAS specgroup and grppha), :mod:`.epiclccorr` (SAS
epiclccorr on existing curves), :mod:`.merge` (event lists of several exposures as one, SAS merge),
:mod:`.regionanalyse` (centred, signal-to-noise optimal source
circles, SAS eregionanalyse) and :mod:`.quicklook` (plots).  What a selection means for a
product and its data-subspace keywords are in :mod:`xmmframe.select.resolve` and
:mod:`xmmframe.select.dss`.

Examples
--------
>>> import xmmframe
>>> from xmmframe.products import evselect, flare_gti
>>> events = xmmframe.open_events("P0001730201M1S002MIEVLI.FTZ")                      # doctest: +SKIP
>>> screening = flare_gti(events)                                                     # doctest: +SKIP
>>> evselect(events, "#XMMEA_EM && (PATTERN<=12) && (PI in [500:10000])", gti=screening.gti,
...          filtered="M1_clean.fits", image="M1_image.fits", image_options={"bin": 80})  # doctest: +SKIP
"""

from xmmframe.products.backscale import backscale, exposed_area
from xmmframe.products.epiclccorr import epiclccorr
from xmmframe.products.evselect import EvselectResult, evselect
from xmmframe.products.grouping import group_spectrum
from xmmframe.products.gti_from_rate import FlareScreening, flare_gti, gti_from_table
from xmmframe.products.image import make_image
from xmmframe.products.lightcurve_corrections import correct_lightcurve
from xmmframe.products.lightcurve import make_lightcurve
from xmmframe.products.merge import merge_events
from xmmframe.products.quicklook import save_quicklook
from xmmframe.products.arf import arfgen
from xmmframe.products.lightcurve_corrections import lightcurve_absolute_correction
from xmmframe.products.rmf import rmfgen
from xmmframe.products.regionanalyse import RegionAnalysis, optimise_source_region
from xmmframe.products.spectrum import make_spectra, make_spectrum

__all__ = [
    "EvselectResult",
    "arfgen",
    "FlareScreening",
    "backscale",
    "correct_lightcurve",
    "epiclccorr",
    "exposed_area",
    "evselect",
    "flare_gti",
    "group_spectrum",
    "gti_from_table",
    "lightcurve_absolute_correction",
    "make_image",
    "make_lightcurve",
    "make_spectra",
    "make_spectrum",
    "merge_events",
    "optimise_source_region",
    "RegionAnalysis",
    "rmfgen",
    "save_quicklook",
]
