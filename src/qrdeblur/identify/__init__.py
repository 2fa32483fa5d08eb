"""Identify a code too blurred to decode among known payloads (``scan --known``).

- :mod:`.catalog`: :class:`KnownCodes`, the list of payloads rendered once, grouped by version.
- :mod:`.match`: :func:`identify`, one candidate region scored against the list; a :class:`Match` or
  None (refused: no payload clearly ahead).
"""

from qrdeblur.identify.catalog import KnownCodes
from qrdeblur.identify.match import Match, MatchConfig, identify

__all__ = ["KnownCodes", "Match", "MatchConfig", "identify"]
