"""SPARQL for analysts: `carekb sparql`, `carekb export`, `carekb serve` (logic in carekb.app.sparql)."""

from __future__ import annotations

import sys

import click

from carekb.model.errors import CarekbError
from carekb.graph.sparql_safety import MAX_QUERY_BYTES, check_query
from carekb.app import sparql as store
from carekb.render import sparql as render_sparql
from carekb.cli.common import LANG_OPTION, as_of_date, handles_errors, write_atomically
from carekb.cli.group import main

WITH_OPTION = click.option(
    "--with", "profiles", multiple=True, metavar="PROFILES", type=click.Path(exists=True),
    help="Add office profiles and the solver's results for them (a file or a folder of profiles; repeatable).")
AS_OF_OPTION = click.option("--as-of", "as_of", metavar="YYYY-MM-DD",
                            help="Evaluate the --with profiles on this date (default: each profile's as_of, else today).")


def _params(pairs) -> dict[str, str]:
    out = {}
    for p in pairs:
        k, sep, v = p.partition("=")
        if not sep or not k.strip():
            raise CarekbError(f"expected NAME=VALUE, got {p!r}", "--param")
        out[k.strip()] = v
    return out


def _query_text(query, query_name, params):
    """(text, source) of the query: a named one, a file, '-' for standard input, or the text itself."""
    import os

    if query_name and query:
        raise CarekbError("give either QUERY or --query-name, not both", "--query-name")
    if query_name:
        q = store.named_query(query_name)
        return store.bind_params(q, params), f"query {query_name}"
    if not query:
        raise CarekbError("give a query: its text, a .rq file, '-' for standard input, or --query-name NAME "
                          "(see `carekb sparql --list`)")
    if query == "-":
        text, source = sys.stdin.read(), "<stdin>"
    elif os.path.isfile(query):
        text, source = _read_query_file(query), query
    elif query.endswith(".rq") and "{" not in query:
        raise CarekbError("file not found", query)
    else:
        text, source = query, "<query>"
    q = store.parse_header(source, text)
    return store.bind_params(q, params) if (q.params or params) else text, source


def _read_query_file(path: str) -> str:
    """A .rq file as text: bounded in size, UTF-8, not binary (errors name the file and byte)."""
    import os

    size = os.path.getsize(path)
    if size > MAX_QUERY_BYTES:
        raise CarekbError(f"query file too large ({size:,} bytes; at most {MAX_QUERY_BYTES:,})", path)
    with open(path, "rb") as f:
        raw = f.read()
    if b"\0" in raw:
        raise CarekbError("binary file, not a SPARQL query", path)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b"\n") + 1
        raise CarekbError(f"not UTF-8 text (line {line}, byte {e.start}): save the query as UTF-8", path) from None


@main.command()
@click.argument("query", required=False, metavar="[QUERY | FILE]")
@click.option("--query-name", "-n", "query_name", metavar="NAME", help="A query of the library (queries/*.rq).")
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE",
              help="A parameter of the query ($NAME in the query; repeatable).")
@WITH_OPTION
@AS_OF_OPTION
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "tsv", "json"]), default="table", show_default=True,
              help="table: readable; csv, tsv, json: the SPARQL 1.1 result formats.")
@click.option("--endpoint", metavar="URL", help="Ask a remote SPARQL 1.1 endpoint (Oxigraph, Fuseki, GraphDB) "
                                                "instead of the embedded store.")
@click.option("--timeout", type=click.IntRange(1, 3600), default=30, show_default=True,
              help="Seconds a query may run (embedded store or remote endpoint) before it is stopped.")
@click.option("--max-rows", type=click.IntRange(1, 10_000_000), default=10_000, show_default=True,
              help="Read at most this many rows (triples for CONSTRUCT); a longer answer is cut and says so.")
@click.option("--list", "list_", is_flag=True, help="List the query library and its parameters, then exit.")
@LANG_OPTION
@handles_errors
def sparql(query, query_name, params, profiles, as_of, fmt, endpoint, timeout, max_rows, list_, lang):
    """Query the KB (rules, rates, guidance) and solver results with SPARQL 1.1 (read-only).

    \b
    The embedded store is pyoxigraph, loaded with kb/ and ontology/; --with adds office
    profiles and what the solver concludes about them (ontology/results.ttl).  Prefixes
    ck:, sg:, req:, wp:, … are those of the KB; a query declares the ones it uses.

    \b
    Examples:
      carekb sparql --list
      carekb sparql -n rates-ranked -p period=R7
      carekb sparql -n offices-by-tier --with examples/
      carekb sparql 'SELECT ?t WHERE { ?t a <https://w3id.org/carekb/vocab#Tier> }' --format csv
      carekb sparql my-query.rq --endpoint http://127.0.0.1:7878/query
    """
    import time

    if list_:
        _print_library(lang)
        return
    text, source = _query_text(query, query_name, _params(params))
    started = time.perf_counter()
    if endpoint:
        if profiles:
            raise CarekbError("--with needs the embedded store: run `carekb export --with …` and load the file "
                              "into the endpoint, or start `carekb serve --with …`", "--with")
        result = store.query_endpoint(endpoint, text, source, timeout, max_rows)
    else:
        check_query(text, source)  # before the (slow) store is built
        st = store.oxigraph_store(store.dataset(profiles, as_of_date(as_of)))
        result = store.query_store(st, text, source, max_rows, timeout)
    click.echo(render_sparql.render(result, fmt))
    if render_sparql.is_truncated(result):
        click.echo(f"carekb: warning: result truncated at {max_rows:,} rows (--max-rows)", err=True)
    if fmt == "table" and sys.stderr.isatty():
        click.echo(f"({time.perf_counter() - started:.3f} s)", err=True)


def _print_library(lang: str) -> None:
    for name, q in store.library().items():
        title = q.title_ja if lang == "ja" else q.title_en
        click.echo(f"{name}\n    {title or q.title_en}\n    {q.description}")
        for p in q.params.values():
            click.echo(f"    --param {p.name}=… ({p.type}, default {p.default or 'none'}): {p.doc}")


@main.command()
@click.option("--format", "fmt", type=click.Choice(["ttl", "nt", "nq", "jsonld"]), default="ttl", show_default=True,
              help="Turtle, N-Triples, N-Quads or JSON-LD.")
@WITH_OPTION
@AS_OF_OPTION
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to this file (default: standard output).")
@handles_errors
def export(fmt, profiles, as_of, output):
    """The whole graph — KB, vocabulary and any --with results — for loading into a triple store.

    \b
    Examples:
      carekb export --format nt -o carekb.nt
      carekb export --with examples/ --format nq -o carekb.nq
    """
    data = store.serialize(store.oxigraph_store(store.dataset(profiles, as_of_date(as_of))), fmt)
    if output:
        write_atomically(output, data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (loopback by default; any other address needs --api-key).")
@click.option("--port", type=click.IntRange(1, 65535), default=7878, show_default=True)
@WITH_OPTION
@AS_OF_OPTION
@click.option("--timeout", type=click.IntRange(1, 3600), default=30, show_default=True,
              help="Seconds a SPARQL query may run; past it the query is stopped and the client gets HTTP 503.")
@click.option("--workers", type=click.IntRange(1, 64), default=4, show_default=True,
              help="Query worker processes, about 65 MB each (more than the cores lets a light query run beside a heavy one).")
@click.option("--max-rows", type=click.IntRange(1, 10_000_000), default=100_000, show_default=True,
              help="Rows (triples) an answer may have; a longer one is cut and says so (X-Carekb-Truncated).")
@click.option("--max-bytes", type=click.IntRange(1_000, 2_000_000_000), default=64_000_000, show_default=True,
              help="Bytes an answer may have; a longer one is cut at a row and says so.")
@click.option("--api-key", envvar="CAREKB_API_KEY", metavar="KEY",
              help="Require this key (header X-API-Key or Authorization: Bearer) for /query and /api/; "
                   "needed beyond loopback. Also read from CAREKB_API_KEY.")
@handles_errors
def serve(host, port, profiles, as_of, timeout, workers, max_rows, max_bytes, api_key):
    """The web server: a read-only SPARQL 1.1 endpoint, the JSON API and a web page.

    \b
    /query      SPARQL 1.1 Protocol (GET, POST form, POST sparql-query); JSON, XML, CSV, TSV
    /api/v1/    gap, tiers, explain, whatif, plan, batch, services, requirements (docs at /docs)
    /           a page to paste or fill in a profile and see its gaps
    Updates and SERVICE are refused; a query stops after --timeout seconds.  Ctrl-C stops the server.

    \b
    Example:
      carekb serve --with examples/ &
      curl -s http://127.0.0.1:7878/query -H 'Accept: text/csv' \\
           --data-urlencode 'query=SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }'
      curl -s http://127.0.0.1:7878/api/v1/gap -H 'Content-Type: application/json' \\
           -d '{"profile": {"version": 1, "office": {"service": "after-school-day"}, "met": []}}'
    """
    import os
    import subprocess

    argv = [sys.executable, "-m", "carekb.web", "--host", host, "--port", str(port), "--timeout", str(timeout),
            "--workers", str(workers), "--max-rows", str(max_rows), "--max-bytes", str(max_bytes)]
    for p in profiles:
        argv += ["--with", p]
    if as_of:
        argv += ["--as-of", as_of_date(as_of).isoformat()]
    env = dict(os.environ)
    if api_key:
        env["CAREKB_API_KEY"] = api_key  # the environment, not argv: other users can read argv
    # the web shell runs in its own interpreter: the two shells never import each other (pyproject layers)
    if os.name == "posix":
        sys.stdout.flush()
        sys.stderr.flush()
        os.execve(sys.executable, argv, env)
    sys.exit(subprocess.call(argv, env=env))
