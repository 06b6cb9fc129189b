"""Tests of the SAS selection language (xmmframe.select)."""
