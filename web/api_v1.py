"""`/api/v1/…`: the library's door (carekb.app.api) over HTTP, stateless.

Each POST takes `{"profile": {…} or "YAML/JSON text", "options": {…}, "overlays": [{"name", "turtle"}]}`
and answers exactly the JSON of the matching command (`carekb gap … --format json`).  Overlays are
rule overlays given in the request (as `--rules-overlay` gives files); the answer's kb_version and
overlays name them.  Bad input gets 400 with the command line's one-line message naming the field;
a request of the wrong shape gets 422 with one line naming the field.
`?format=text` (gap, tiers, explain, whatif, plan) answers the command's `--format table` text instead
(text/plain), folded to `?width=N` columns (default 0: never folded, like the command writing to a pipe).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Union

import anyio
from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from pydantic import BaseModel, Field

from fastapi.responses import PlainTextResponse, Response

from carekb.app import api
from carekb.app.sparql.library import named_query_text
from carekb.model.errors import CarekbError
from carekb.model.overlay import Overlay
from carekb.render.consult_text import plan_text, whatif_text
from carekb.render.office_text import explain_text, gap_text, tiers_text

router = APIRouter(prefix="/api/v1", tags=["carekb"])

# "rates": the text of a --rates CSV (period,service,tier,rate_pct[,source]), never a server path
COMMON = {"as_of": str, "no_pledge": bool, "lang": str, "reading": (str, list), "rates": str}
OPTIONS = {  # the options each call takes, by name and JSON type (files on the server are never named)
    "gap": COMMON | {"target": str, "engine": str},
    "tiers": dict(COMMON),
    "explain": COMMON | {"tier": str, "full": bool},
    "whatif": COMMON | {"add": list, "remove": list, "set": (dict, list), "compare_periods": (list, str)},
    "plan": COMMON | {"budget": int, "effort": dict},
}
REQUIRED = {"explain": ("tier",)}
LANGS = ("ja", "en")


class OverlayIn(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="a name for the overlay (shown in kb_version)")
    turtle: str = Field(max_length=2_000_000, description="rule overlay in Turtle, like a --rules-overlay file")


class OfficeRequest(BaseModel):
    profile: Union[dict, str] = Field(description="the office profile: a JSON object with the profile's keys, "
                                                  "or the text of a YAML/JSON/Turtle profile")
    options: dict[str, Any] = Field(default_factory=dict, description="the command's options: as_of, no_pledge, "
                                                                      "target, lang, … (see each call)")
    overlays: list[OverlayIn] = Field(default_factory=list, max_length=20)


def _checked_options(call: str, options: dict) -> dict:
    allowed = OPTIONS[call]
    out = {}
    for key, value in options.items():
        if key not in allowed:
            raise CarekbError(f"unknown option (known: {', '.join(sorted(allowed))})", "options", key)
        kinds = allowed[key] if isinstance(allowed[key], tuple) else (allowed[key],)
        if value is None:
            continue
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            names = " or ".join({str: "a string", bool: "true/false", int: "an integer", list: "a list",
                                 dict: "an object"}[k] for k in kinds)
            raise CarekbError(f"must be {names}, not {type(value).__name__}", "options", key)
        out[key] = value
    for key in REQUIRED.get(call, ()):
        if key not in out:
            raise CarekbError("is required", "options", key)
    if out.get("lang", "ja") not in LANGS:
        raise CarekbError(f"must be one of {', '.join(LANGS)}", "options", "lang")
    return out


def _profile(value):
    if isinstance(value, str):
        return value if "\n" in value else value + "\n"  # always text, never a path on the server
    return value


TEXT_VIEWS = {  # ?format=text: the table `carekb <call> --format table` prints (carekb/render/*_text.py)
    "gap": lambda r, o, kb, lang, w: gap_text(r, lang, w, target=o.get("target")),
    "tiers": lambda r, o, kb, lang, w: tiers_text(r, lang, w),
    "explain": lambda r, o, kb, lang, w: explain_text(r, o["tier"], lang, w, full=bool(o.get("full"))),
    "whatif": lambda r, o, kb, lang, w: whatif_text(r, kb, lang, w),
    "plan": lambda r, o, kb, lang, w: plan_text(r, kb, lang, w),
}
FORMATS = ("json", "text")
MAX_WIDTH = 1000


def _checked_format(fmt: str, width: int) -> None:
    if fmt not in FORMATS:
        raise CarekbError(f"must be one of {', '.join(FORMATS)}", "format")
    if not 0 <= width <= MAX_WIDTH or 0 < width < 20:
        raise CarekbError(f"must be 0 (no folding) or 20 to {MAX_WIDTH} columns", "width")


async def _call(request: Request, call: str, body: OfficeRequest, fmt: str = "json", width: int = 0):
    """The call's JSON answer, or with fmt='text' its text view folded to `width` columns (0: never)."""
    options = _checked_options(call, body.options)
    _checked_format(fmt, width)
    fn = getattr(api, call)
    overlays = [Overlay(o.name, o.turtle) for o in body.overlays]
    kb = request.app.state.kb

    def work():
        use_kb = api.load_kb(overlays, cache=False) if overlays else kb   # a client's overlay: no cache file on disk
        args = dict(options)
        with tempfile.TemporaryDirectory(prefix="carekb-rates-") as tmp:
            if "rates" in args:  # read by the same code as --rates, from a private file named as the answer shows it
                path = Path(tmp) / "rates.csv"
                path.write_text(args.pop("rates"), encoding="utf-8")
                args["rates"] = path
            if call == "explain":
                result = fn(_profile(body.profile), args.pop("tier"), kb=use_kb, **args)
            else:
                result = fn(_profile(body.profile), kb=use_kb, **args)
        if fmt == "text":
            return PlainTextResponse(TEXT_VIEWS[call](result, options, use_kb, options.get("lang") or "ja", width) + "\n")
        data = result.to_dict()
        for part in (data, *(v for v in data.values() if isinstance(v, dict))):  # whatif: before/after too
            for used in part.get("user_rates") or ():
                used["file"] = "options.rates"  # not the server's temporary path
        return data

    return await anyio.to_thread.run_sync(work, limiter=request.app.state.api_limiter)


@router.post("/gap", summary="gap: highest attainable tier and the least-effort actions to each higher tier")
async def gap(request: Request, body: OfficeRequest, format: str = "json", width: int = 0):
    return await _call(request, "gap", body, format, width)


@router.post("/tiers", summary="tiers: every tier of the office's service, attained or not")
async def tiers(request: Request, body: OfficeRequest, format: str = "json", width: int = 0):
    return await _call(request, "tiers", body, format, width)


@router.post("/explain", summary="explain: why a tier (options.tier) is or is not attained")
async def explain(request: Request, body: OfficeRequest, format: str = "json", width: int = 0):
    return await _call(request, "explain", body, format, width)


@router.post("/whatif", summary="whatif: the result after adding/removing actions or changing facts")
async def whatif(request: Request, body: OfficeRequest, format: str = "json", width: int = 0):
    return await _call(request, "whatif", body, format, width)


@router.post("/plan", summary="plan: the best tier within an effort budget, in stages")
async def plan(request: Request, body: OfficeRequest, format: str = "json", width: int = 0):
    return await _call(request, "plan", body, format, width)


@router.get("/services", summary="services: every service with its groups, tiers and rates in a period")
async def services(request: Request, period: str | None = None, scheme: str | None = None) -> dict:
    kb = request.app.state.kb
    return await anyio.to_thread.run_sync(lambda: api.services(period, scheme=scheme, kb=kb).to_dict(),
                                          limiter=request.app.state.api_limiter)


@router.get("/requirements", summary="requirements: the rules of a period")
async def requirements(request: Request, period: str | None = None, as_of: str | None = None,
                       scheme: str | None = None, lang: str = "ja") -> dict:
    kb = request.app.state.kb
    if lang not in LANGS:
        raise CarekbError(f"must be one of {', '.join(LANGS)}", "lang")
    return await anyio.to_thread.run_sync(
        lambda: api.requirements(period, as_of=as_of, scheme=scheme, kb=kb, lang=lang).to_dict(),
        limiter=request.app.state.api_limiter)


@router.post("/batch", summary="batch: gap analysis for every row of an offices table (CSV or XLSX upload)")
async def batch(request: Request, file: UploadFile = File(description="offices table, .csv or .xlsx"),
                as_of: str | None = Form(None), no_pledge: bool = Form(False), lang: str = Form("ja")) -> dict:
    suffix = Path(file.filename or "").suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise CarekbError(f"unsupported file type '{suffix or '(none)'}' (use .csv or .xlsx)", "file",
                          file.filename or None)
    if lang not in LANGS:
        raise CarekbError(f"must be one of {', '.join(LANGS)}", "lang")
    data = await file.read()
    kb = request.app.state.kb

    def work():
        with tempfile.TemporaryDirectory(prefix="carekb-batch-") as tmp:
            path = Path(tmp) / f"upload{suffix}"
            path.write_bytes(data)
            try:
                out = api.batch(path, as_of=as_of, no_pledge=no_pledge, kb=kb, lang=lang)
            except CarekbError as e:
                raise CarekbError(e.message, file.filename or "file", e.where) from None
            errors = [{"row": e.row, "office": e.office, "message": e.message} for e in out.errors]
            return {"results": out.to_list(), "errors": errors}

    return await anyio.to_thread.run_sync(work, limiter=request.app.state.api_limiter)


@router.get("/sparql", summary="sparql: a named query of the library (carekb sparql --list) over the server's graph, "
                               "?name=…&param=NAME=VALUE&lang=ja|en (the language of its labels); answers by Accept "
                               "as /query does")
async def sparql_library(request: Request, name: str, lang: str = "ja", param: list[str] = Query(default=[])):
    if lang not in LANGS:
        raise CarekbError(f"must be one of {', '.join(LANGS)}", "lang")
    text = named_query_text(name, param, lang, where="param")   # values bound as terms, never pasted
    answer = await request.app.state.pool.run(text, request.headers.get("accept"))
    return Response(answer.body, status_code=answer.status, media_type=answer.content_type,
                    headers={"Cache-Control": "no-store", "X-Carekb-Rows": str(answer.rows)})
