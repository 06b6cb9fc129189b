"""Calibration: the calibration index (CIF), CCF selection by date, typed CCF readers.

Examples
--------
>>> from xmmframe.ccf import read_cif, cifbuild
>>> cif = read_cif("ccf.cif")                                            # doctest: +SKIP
>>> cif.issue("XRT3", "XAREAEF")                                         # doctest: +SKIP
12
>>> cif2 = cifbuild(["/ccf"], observation_date="2001-03-09T12:43:09")    # doctest: +SKIP
>>> cal = Calibration.open(observation_date="2012-05-14")  # SAS_CCF/SAS_CCFPATH, else built-in  # doctest: +SKIP
"""

from xmmframe.ccf.access import Calibration
from xmmframe.ccf.cif import CalIndex, read_cif
from xmmframe.ccf.cifbuild import cifbuild, scan_repository

__all__ = ["CalIndex", "Calibration", "cifbuild", "read_cif", "scan_repository"]
