"""The ASGI application of `carekb serve`: the SPARQL endpoint, the JSON API, the web page and the
API documentation (OpenAPI at /openapi.json, Swagger UI at /docs from files shipped by the
fastapi-offline package: no CDN, the docs work without internet).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import anyio
from fastapi import Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware

from carekb.model.errors import CarekbError
from carekb.web import api_v1, page, sparql_endpoint
from carekb.web.limits import RequestLimits
from carekb.web.query_pool import QueryPool

log = logging.getLogger("carekb.web")


@dataclass
class Settings:
    max_body: int = 3_500_000        # a 1 MB query, form-encoded, is up to 3 MB
    max_upload: int = 20_000_000     # an offices table for /api/v1/batch
    body_timeout: float = 30.0
    api_key: str | None = None
    api_threads: int = 2             # the solver is CPU-bound Python: more threads would only queue


def create_app(pool: QueryPool, kb, triples: int, settings: Settings | None = None):
    settings = settings or Settings()
    app = FastAPIOffline(
        title="carekb", version="1",
        description="処遇改善加算 knowledge base: a read-only SPARQL 1.1 endpoint (/query) and a JSON API "
                    "(/api/v1) that answers exactly what the carekb command line answers with --format json.")
    app.state.pool, app.state.kb, app.state.triples = pool, kb, triples
    app.state.api_limiter = anyio.CapacityLimiter(settings.api_threads)
    app.include_router(sparql_endpoint.router)
    app.include_router(api_v1.router)
    app.include_router(page.router)

    @app.exception_handler(CarekbError)
    async def bad_input(_request: Request, e: CarekbError):
        lines = str(e).split("\n")  # one line per problem, as the command line prints them
        return JSONResponse({"error": lines[0], "errors": lines}, status_code=400)

    @app.exception_handler(RequestValidationError)
    async def bad_shape(_request: Request, e: RequestValidationError):
        first = e.errors()[0] if e.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "request"
        return JSONResponse({"error": f"{where}: {first.get('msg', 'invalid request')}"}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, e: StarletteHTTPException):
        if not request.url.path.startswith("/api/"):
            return await http_exception_handler(request, e)
        # FastAPI's own 400 for a body json.loads refuses (10^5000, deep nesting): the API's one-line shape
        return JSONResponse({"error": f"request body: {e.detail}"}, status_code=e.status_code,
                            headers=getattr(e, "headers", None))

    @app.exception_handler(Exception)
    async def failure(_request: Request, e: Exception):  # logged here; the client gets one line, no traceback
        log.exception("request failed")
        return JSONResponse({"error": f"internal error ({type(e).__name__}); the server goes on"}, status_code=500)

    app.add_middleware(RequestLimits, max_body=settings.max_body, max_upload=settings.max_upload,
                       body_timeout=settings.body_timeout, api_key=settings.api_key)
    # outermost: preflight requests are answered before the API key is asked for
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST", "OPTIONS"],
                       allow_headers=["Content-Type", "Accept", "X-API-Key", "Authorization"],
                       expose_headers=["X-Carekb-Rows", "X-Carekb-Row-Limit", "X-Carekb-Truncated"], max_age=600)
    return app
