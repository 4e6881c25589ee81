"""`/query`: the SPARQL 1.1 Protocol, read-only (https://www.w3.org/TR/sparql11-protocol/).

GET with `query=`, POST form-encoded, POST `application/sparql-query`; answers by `Accept`; the
Service Description (Turtle) on GET without a query.  Every query goes to the worker pool, which
checks it, runs it under the time-out and writes the whole answer before a status is chosen.
"""

from __future__ import annotations

import urllib.parse

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from carekb.web.query_pool import Answer
from carekb.web.sparql_results import CONTENT_TYPES, RESULT_TYPES

router = APIRouter()
SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS_W3 = {"json": "SPARQL_Results_JSON", "xml": "SPARQL_Results_XML", "csv": "SPARQL_Results_CSV",
              "tsv": "SPARQL_Results_TSV", "nt": "N-Triples", "ttl": "Turtle"}
QUERY_DOC = {
    "summary": "SPARQL 1.1 query (read-only)",
    "description": "GET ?query=…, POST form-encoded query=…, or POST application/sparql-query. Answers by Accept: "
                   + ", ".join(sorted(set(RESULT_TYPES) | {"application/n-triples", "text/turtle"}))
                   + ". Without a query, GET answers the SPARQL Service Description (Turtle). Updates and SERVICE "
                     "are refused (403); a query past the time-out ends with 503, never a cut 200. A capped answer "
                     "carries X-Carekb-Truncated (rows or bytes) and says so in its body. The graph never "
                     "changes while the server runs, so repeated queries are answered from a cache; send "
                     "Cache-Control: no-cache for a fresh evaluation.",
}


def _plain(status: int, text: str) -> PlainTextResponse:
    return PlainTextResponse(text + "\n", status_code=status)


@router.get("/query", **QUERY_DOC)
async def query_get(request: Request):
    params = urllib.parse.parse_qs(request.url.query, keep_blank_values=True)
    if "query" not in params:
        if "update" in params:
            return _plain(403, "update: SPARQL updates are refused: this endpoint is read-only")
        return _service_description(request)
    return await _run(request, params)


@router.post("/query", **QUERY_DOC)
async def query_post(request: Request):
    kind = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    body = await request.body()
    if kind == "application/sparql-query":
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as e:
            return _plain(400, f"query: not UTF-8 text (byte {e.start})")
        params = urllib.parse.parse_qs(request.url.query, keep_blank_values=True)
        return await _run(request, {**params, "query": [text]})
    if kind == "application/sparql-update":
        return _plain(403, "update: SPARQL updates are refused: this endpoint is read-only")
    if kind in ("application/x-www-form-urlencoded", ""):
        try:
            params = urllib.parse.parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False,
                                           errors="strict")
        except (UnicodeDecodeError, ValueError) as e:
            return _plain(400, f"query: the form is not UTF-8 URL-encoded text ({e})")
        if "update" in params:
            return _plain(403, "update: SPARQL updates are refused: this endpoint is read-only")
        if "query" not in params:
            return _plain(400, "query: missing 'query' parameter")
        return await _run(request, params)
    return _plain(415, f"unsupported Content-Type {kind!r} (use application/x-www-form-urlencoded or "
                       "application/sparql-query)")


@router.api_route("/update", methods=["GET", "POST", "PUT", "DELETE", "PATCH"], include_in_schema=False)
async def update_refused():
    return _plain(403, "update: SPARQL updates are refused: this endpoint is read-only")


async def _run(request: Request, params: dict) -> Response:
    queries = params.get("query", [])
    if len(queries) != 1:
        return _plain(400, "query: give exactly one 'query' parameter")
    for name in ("default-graph-uri", "named-graph-uri", "using-graph-uri", "using-named-graph-uri"):
        if params.get(name):
            return _plain(400, f"{name}: not supported: the dataset is the KB's default graph (leave out {name})")
    pool = request.app.state.pool
    fresh = "no-cache" in (request.headers.get("cache-control") or "").lower()
    answer: Answer = await pool.run(queries[0], request.headers.get("accept"), fresh)
    headers = {"Cache-Control": "no-store"}
    if answer.status == 200:
        headers["X-Carekb-Rows"] = str(answer.rows)
        headers["X-Carekb-Row-Limit"] = str(pool.max_rows)
        if answer.truncated:
            limit = f"{pool.max_rows} rows" if answer.truncated == "rows" else f"{pool.max_bytes} bytes"
            headers["X-Carekb-Truncated"] = f"{answer.truncated}; limit={limit}"
    return Response(answer.body, status_code=answer.status, media_type=answer.content_type, headers=headers)


def _service_description(request: Request) -> Response:
    """The SPARQL 1.1 Service Description of this endpoint, in Turtle."""
    state = request.app.state
    url = str(request.url.replace(query=""))
    formats = "".join(f"    sd:resultFormat <http://www.w3.org/ns/formats/{FORMATS_W3[f]}> ;\n"
                      for f in ("json", "xml", "csv", "tsv", "nt", "ttl"))
    body = (f"@prefix sd: <{SD}> .\n@prefix void: <http://rdfs.org/ns/void#> .\n"
            f"@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n\n"
            f"[] a sd:Service ;\n    sd:endpoint <{url}> ;\n"
            f"    sd:supportedLanguage sd:SPARQL11Query ;\n{formats}"
            f"    rdfs:comment \"carekb: read-only; no SERVICE, no updates; time-out {state.pool.timeout:g} s; "
            f"at most {state.pool.max_rows} rows and {state.pool.max_bytes} bytes per answer\" ;\n"
            f"    sd:defaultDataset [ a sd:Dataset ;\n"
            f"        sd:defaultGraph [ a sd:Graph ; void:triples {state.triples} ] ] .\n")
    return Response(body, media_type=CONTENT_TYPES["ttl"])
