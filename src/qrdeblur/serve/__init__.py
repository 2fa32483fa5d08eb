"""The HTTP service: ``qrdeblur serve`` (FastAPI on uvicorn, the ``serve`` extra).

- :mod:`qrdeblur.serve.config`: :class:`ServeConfig`, the limits and sizes (no web framework needed).
- :mod:`qrdeblur.serve.engine`: the work behind the endpoints: models loaded once per worker process,
  a bounded executor and its admission queue, uploads read with :func:`qrdeblur.imageio.read_image`'s
  checks, scan records in the ``scan --json`` form (no web framework needed either).
- :mod:`qrdeblur.serve.app`: the FastAPI application (``create_app``): ``POST /scan``, ``POST /deblur``,
  ``GET /health``, ``GET /version``, the web page at ``/`` and the API docs at ``/docs``, all offline.
- :mod:`qrdeblur.serve.server`: runs the application on uvicorn (one or more worker processes).
- :mod:`qrdeblur.serve.loadtest`: ``qrdeblur loadtest``, a mixed load against a running server.

Importing this package imports neither FastAPI nor uvicorn; :mod:`~qrdeblur.serve.app` and
:mod:`~qrdeblur.serve.server` do.
"""

from __future__ import annotations

from qrdeblur.serve.config import ServeConfig

__all__ = ["ServeConfig"]
