"""The FastAPI application of ``qrdeblur serve``: :func:`create_app`.

Endpoints (the contract is in docs/architecture.md, and at ``/openapi.json``):

- ``POST /scan``: an image as the multipart field ``file`` or as the raw body; query ``budget_ms``,
  ``effort`` (``normal`` | ``high``), ``debug``; answers the ``scan --json`` record.
- ``POST /deblur``: an image as above; answers the restored image as PNG.
- ``GET /health``, ``GET /version``; the web page at ``/``; the API docs at ``/docs``.

Every refusal is JSON ``{"error": "<one line>"}`` with its status: 413 (body over the limit), 422 (an
image that cannot be read, a decompression bomb, a bad parameter; ``/scan`` answers its full record,
whose ``error`` says why), 503 with ``Retry-After`` (the worker's queue is full), 404/405. Nothing
the pages load comes from elsewhere: the web page is package data, and ``/docs`` is FastAPI's Swagger
UI page with its script served from the ``swagger-ui-bundle-v2`` package.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from enum import Enum
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from qrdeblur import __version__
from qrdeblur.serve.config import ServeConfig
from qrdeblur.serve.engine import Engine, ServiceError

STATIC_DIR = Path(str(resources.files("qrdeblur.serve") / "static"))
UPLOAD_NAME = "upload"


class Effort(str, Enum):
    """How hard ``/scan`` tries (``qrdeblur.scan``'s ``effort``)."""

    normal = "normal"
    high = "high"


class CodeOut(BaseModel):
    """One decoded code, as ``Code.to_dict()`` writes it."""

    text: str
    corners: list[list[float]]
    method: str
    decoder: str
    bytes_b64: str | None = None
    gs1: bool | None = None
    hri: str | None = None


class ScanRecord(BaseModel):
    """The ``scan --json`` record of one image (``debug`` only with ``?debug=1``)."""

    path: str
    codes: list[CodeOut]
    ms: float
    error: str | None
    debug: list[dict] | None = None


class ErrorOut(BaseModel):
    """A refused request."""

    error: str


_BINARY = {"schema": {"type": "string", "format": "binary"}}
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "description": "The image: a multipart upload (field `file`) or the raw bytes as the body.",
        "content": {
            "multipart/form-data": {
                "schema": {"type": "object", "properties": {"file": _BINARY["schema"]}, "required": ["file"]}
            },
            "application/octet-stream": _BINARY,
            "image/*": _BINARY,
        },
    }
}
ERRORS = {
    413: {"model": ErrorOut, "description": "Body over the size limit."},
    422: {"model": ErrorOut, "description": "Image unreadable (reason in `error`), too many pixels, bad parameter."},
    503: {"model": ErrorOut, "description": "Queue full; retry after `Retry-After` seconds."},
}


class BodyTooLarge(Exception):
    """The request body passed the size limit while it was being read."""


class BodyLimit:
    """ASGI middleware: refuse bodies over ``max_bytes`` with 413, by Content-Length before reading,
    and by counting the bytes as they arrive (chunked uploads, lying headers)."""

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await JSONResponse({"error": too_large_message(self.max_bytes)}, 413)(scope, receive, send)
        seen = 0

        async def limited():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge
            return message

        await self.app(scope, limited, send)


def too_large_message(max_bytes: int) -> str:
    return f"request body over the {max_bytes / 1e6:g} MB limit"


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "body", "path"))
        parts.append(f"{where}: {err.get('msg', 'invalid')}" if where else str(err.get("msg", "invalid")))
    return "; ".join(parts) or "invalid request"


async def read_upload_body(request: Request) -> tuple[bytes, str]:
    """The image bytes of a request and the name to report: the multipart field ``file`` (its file
    name) or the raw body (``upload``)."""
    ctype = request.headers.get("content-type", "")
    if ctype.lower().startswith("multipart/form-data"):
        try:
            form = await request.form(max_files=1, max_fields=16)
        except StarletteHTTPException as exc:
            raise ServiceError(400, f"malformed multipart body ({exc.detail})") from None
        try:
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise ServiceError(422, "multipart body has no file in the field 'file'")
            data = await upload.read()
            name = (upload.filename or UPLOAD_NAME)[:255]
        finally:
            await form.close()
    else:
        data, name = await request.body(), UPLOAD_NAME
    if not data:
        raise ServiceError(422, "empty image: send it as the multipart field 'file' or as the raw request body")
    return data, name


def create_app(config: ServeConfig | None = None, engine: Engine | None = None) -> FastAPI:
    """The service's application.

    Args:
        config: limits and models (default :class:`ServeConfig`); ignored when ``engine`` is given.
        engine: an already loaded engine (tests share one); None: the application loads its own at
            start-up (once per worker process) and closes it at shutdown.
    """
    config = engine.config if engine is not None else (config or ServeConfig())

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        own = engine is None
        app.state.engine = Engine(config) if own else engine
        try:
            yield
        finally:
            if own:
                app.state.engine.close()

    app = FastAPI(
        title="qrdeblur",
        version=__version__,
        description="Read blurred QR codes: `POST /scan` an image, get every code in it.",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    if engine is not None:
        app.state.engine = engine
    app.add_middleware(BodyLimit, max_bytes=config.max_body_bytes)

    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError):
        return JSONResponse(exc.body, exc.status, headers=exc.headers)

    @app.exception_handler(BodyTooLarge)
    async def _too_large(request: Request, exc: BodyTooLarge):
        return JSONResponse({"error": too_large_message(config.max_body_bytes)}, 413)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        return JSONResponse({"error": _validation_message(exc)}, 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        return JSONResponse({"error": str(exc.detail)}, exc.status_code, headers=getattr(exc, "headers", None))

    @app.post("/scan", response_model=None, responses={200: {"model": ScanRecord}, **ERRORS}, openapi_extra=UPLOAD_BODY)
    async def scan(
        request: Request,
        budget_ms: float | None = Query(
            None, ge=0, description=f"Time budget (ms); default the effort's; capped at {config.max_budget_ms:g}."
        ),
        effort: Effort = Query(Effort.normal, description="normal | high (a blind search for camera shake)."),
        debug: bool = Query(False, description="Add `debug`: each restored region before and after, base64 PNG."),
    ):
        """Find and read every QR code in an image: the `scan --json` record."""
        engine_ = request.app.state.engine
        budget = engine_.budget_ms(budget_ms, effort.value)
        with engine_.admit() as ticket:
            data, name = await read_upload_body(request)
            status, record = await ticket.run(engine_.scan, data, name, budget, effort.value, debug)
        return JSONResponse(record, status)

    @app.post(
        "/deblur",
        response_class=Response,
        responses={200: {"content": {"image/png": {}}, "description": "The restored image."}, **ERRORS},
        openapi_extra=UPLOAD_BODY,
    )
    async def deblur(request: Request):
        """Restore a blurred code image (any size up to the pixel limit) with the generator: a PNG."""
        engine_ = request.app.state.engine
        with engine_.admit() as ticket:
            data, _ = await read_upload_body(request)
            png = await ticket.run(engine_.deblur, data)
        return Response(png, media_type="image/png")

    @app.get("/health")
    async def health(request: Request) -> dict:
        """Liveness and load of the worker that answers: queue, requests served and refused, memory."""
        return request.app.state.engine.health()

    @app.get("/version")
    async def version(request: Request) -> dict:
        """Package version and the model files in use, with their SHA-256."""
        return request.app.state.engine.version()

    @app.get("/", include_in_schema=False)
    async def index():
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _add_docs(app)
    return app


def _add_docs(app: FastAPI) -> None:
    """FastAPI's Swagger UI page at ``/docs``, its script and style served from the installed
    ``swagger-ui-bundle-v2`` package (no CDN); without that package, a page naming it and the JSON."""
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:
        swagger_ui_path = None
    if swagger_ui_path is None or not (Path(str(swagger_ui_path)) / "swagger-ui-bundle.js").exists():

        @app.get("/docs", include_in_schema=False)
        async def docs_missing():
            return HTMLResponse(
                "<!doctype html><title>qrdeblur API</title><p>The interactive page needs swagger-ui-bundle-v2 "
                "(<code>pip install 'qrdeblur[serve]'</code>). The contract: <a href='/openapi.json'>/openapi.json</a>."
            )

        return
    app.mount("/docs-assets", StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs():
        return get_swagger_ui_html(
            openapi_url=app.openapi_url,
            title="qrdeblur API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None},
        )
