"""Run the service on uvicorn: :func:`run` (``qrdeblur serve``).

With one worker the engine (models, pool) is loaded before uvicorn starts, so a model that cannot be
loaded is reported as one line. With several, uvicorn starts worker processes that each build the
application from the settings in the environment (:func:`app_from_env`) and load the models once.
"""

from __future__ import annotations

import os

from qrdeblur.serve.config import CONFIG_ENV, ServeConfig


def app_from_env():
    """The application for a uvicorn worker process, from the settings in :data:`CONFIG_ENV`."""
    from qrdeblur.serve.app import create_app

    return create_app(ServeConfig.from_env())


def run(config: ServeConfig, log_level: str = "info") -> None:
    """Serve until interrupted (uvicorn's signal handling: Ctrl-C stops it cleanly)."""
    import uvicorn

    if config.workers == 1:
        from qrdeblur.serve.app import create_app
        from qrdeblur.serve.engine import Engine

        engine = Engine(config)
        try:
            uvicorn.run(create_app(engine=engine), host=config.host, port=config.port, log_level=log_level)
        finally:
            engine.close()
        return
    from qrdeblur.errors import UsageError

    for path in (config.model, config.deblur_model):
        if path is not None and not os.path.exists(path):
            raise UsageError(f"{path}: model file not found")
    os.environ[CONFIG_ENV] = config.to_json()
    uvicorn.run(
        "qrdeblur.serve.server:app_from_env",
        factory=True,
        host=config.host,
        port=config.port,
        workers=config.workers,
        log_level=log_level,
    )
