"""The xmmframe version: the one place it is written (pyproject reads it from here).

Examples
--------
>>> from xmmframe._version import __version__
>>> __version__
'0.1.0'
"""

__version__ = "0.1.0"
