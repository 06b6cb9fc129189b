"""``xmmframe cifbuild calindexset=ccf.cif ...``: build a calibration index (SAS cifbuild).

Parameters as SAS cifbuild: ``calindexset`` (default ``ccf.cif``), ``withccfpath``/``ccfpath``
(directories separated by ``:`` or spaces; default ``SAS_CCFPATH``, else xmmframe's built-in
set), ``withobservationdate``/``observationdate`` (without it: now, as cifbuild does without
an ODF), ``analysisdate`` (default ``now``: CCFs submitted later are ignored).  ``now`` is
``SOURCE_DATE_EPOCH`` when that is set.  The index records the command line as ``XPROC0``.

Examples
--------
.. code-block:: console

    $ xmmframe cifbuild withccfpath=yes ccfpath=/ccf withobservationdate=yes observationdate=2001-03-09T12:43:09
"""

from __future__ import annotations

import argparse
import re

from xmmframe.cli.sas_params import Param, SasArguments, add_task, command_text, refuse_existing
from xmmframe.model.provenance import Provenance

PARAMS = (
    Param("calindexset", "ccf.cif", "str", "output calibration index file"),
    Param("withccfpath", False, "bool", "use ccfpath instead of SAS_CCFPATH"),
    Param("ccfpath", "", "str", "CCF directories (':' or space separated)"),
    Param("withobservationdate", False, "bool", "use observationdate (else now)"),
    Param("observationdate", "", "str", "observation date YYYY-MM-DDThh:mm:ss"),
    Param("analysisdate", "now", "str", "ignore CCFs submitted after this date"),
)


def run(args: argparse.Namespace, values: SasArguments) -> int:
    """Build and write the index."""
    import warnings

    from xmmframe.ccf.access import builtin_directory
    from xmmframe.ccf.cifbuild import ccf_path_from_environment, cifbuild, write_cif
    from xmmframe.errors import CalibrationWarning

    output = values["calindexset"]
    refuse_existing(args, values, output)
    if values.switched_on("withccfpath", "ccfpath"):
        directories = [p for p in re.split(r"[:\s]+", values.require("ccfpath")) if p]
    else:
        directories = ccf_path_from_environment()
    if not directories:
        warnings.warn("no CCF path: indexing xmmframe's built-in calibration set (not for publication)",
                      CalibrationWarning, stacklevel=1)
        directories = [builtin_directory()]
    date = values.require("observationdate") if values.switched_on("withobservationdate", "observationdate") else "now"
    index = cifbuild(directories, date, values["analysisdate"])
    write_cif(index, output, Provenance("cifbuild", command=command_text("cifbuild", args.parameters)))
    print(f"cifbuild: {len(index)} calibration files for {index.observation_date} written to {output}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``cifbuild`` subcommand."""
    add_task(subparsers, "cifbuild", PARAMS, run, "build a calibration index file (SAS cifbuild)")
