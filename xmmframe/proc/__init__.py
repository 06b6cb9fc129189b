"""Raw ODF -> calibrated EPIC events: frames, bad pixels, patterns, energy (gain/CTI), coordinates, flags.

Examples
--------
>>> import xmmframe
>>> from xmmframe.proc import epproc, emproc
>>> obs = xmmframe.open_odf("xmmframe-demo/odf")          # doctest: +SKIP
>>> pn = epproc(obs, outdir="events")[0]                  # doctest: +SKIP
"""

from xmmframe.proc.chain import emproc, epproc, event_list_name, process_exposure

__all__ = ["emproc", "epproc", "event_list_name", "process_exposure"]
