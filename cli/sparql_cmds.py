"""SPARQL for analysts: `carekb sparql`, `carekb export`, `carekb serve` (logic in carekb.app.sparql)."""

from __future__ import annotations

import sys

import click

from carekb.model.errors import CarekbError
from carekb.graph.sparql_safety import MAX_QUERY_BYTES, check_query
from carekb.app import sparql as store
from carekb.render import sparql as render_sparql
from carekb.i18n import t
from carekb.cli.common import LANG_ONLY_OPTION, LANG_OPTION, as_of_date, handles_errors, write_atomically
from carekb.cli.group import main

WITH_OPTION = click.option(
    "--with", "profiles", multiple=True, metavar="PROFILES", type=click.Path(exists=True))
AS_OF_OPTION = click.option("--as-of", "as_of", metavar="YYYY-MM-DD")


def _params(pairs) -> dict[str, str]:
    out = {}
    for p in pairs:
        k, sep, v = p.partition("=")
        if not sep or not k.strip():
            raise CarekbError(t("sparql.expected_param", got=repr(p)), "--param")
        out[k.strip()] = v
    return out


def _query_text(query, query_name, params, lang=None):
    """(text, source) of the query: a named one, a file, '-' for standard input, or the text itself;
    a `lang` parameter not given is the output's language."""
    import os

    if query_name and query:
        raise CarekbError(t("sparql.query_and_name"), "--query-name")
    if query_name:
        q = store.named_query(query_name)
        return store.bind_params(q, params, lang), f"query {query_name}"
    if not query:
        raise CarekbError(t("sparql.no_query"))
    if query == "-":
        text, source = sys.stdin.read(), "<stdin>"
    elif os.path.isfile(query):
        text, source = _read_query_file(query), query
    elif query.endswith(".rq") and "{" not in query:
        raise CarekbError(t("sparql.file_not_found"), query)
    else:
        text, source = query, "<query>"
    q = store.parse_header(source, text)
    return store.bind_params(q, params, lang) if (q.params or params) else text, source


def _read_query_file(path: str) -> str:
    """A .rq file as text: bounded in size, UTF-8, not binary (errors name the file and byte)."""
    import os

    size = os.path.getsize(path)
    if size > MAX_QUERY_BYTES:
        raise CarekbError(t("sparql.file_too_large", size=f"{size:,}", max=f"{MAX_QUERY_BYTES:,}"), path)
    with open(path, "rb") as f:
        raw = f.read()
    if b"\0" in raw:
        raise CarekbError(t("sparql.binary_file"), path)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b"\n") + 1
        raise CarekbError(t("sparql.not_utf8", line=line, byte=e.start), path) from None


@main.command()
@click.argument("query", required=False, metavar="[QUERY | FILE]")
@click.option("--query-name", "-n", "query_name", metavar="NAME")
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE")
@WITH_OPTION
@AS_OF_OPTION
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "tsv", "json"]), default="table", show_default=True)
@click.option("--endpoint", metavar="URL")
@click.option("--timeout", type=click.IntRange(1, 3600), default=30, show_default=True)
@click.option("--max-rows", type=click.IntRange(1, 10_000_000), default=10_000, show_default=True)
@click.option("--list", "list_", is_flag=True)
@LANG_OPTION
@handles_errors
def sparql(query, query_name, params, profiles, as_of, fmt, endpoint, timeout, max_rows, list_, lang):
    """`carekb sparql` (its --help: help.sparql in carekb/i18n/messages-help.yaml)."""
    import time

    if list_:
        _print_library(lang)
        return
    text, source = _query_text(query, query_name, _params(params), lang)
    started = time.perf_counter()
    if endpoint:
        if profiles:
            raise CarekbError(t("sparql.with_needs_store"), "--with")
        result = store.query_endpoint(endpoint, text, source, timeout, max_rows)
    else:
        check_query(text, source)  # before the (slow) store is built
        st = store.oxigraph_store(store.dataset(profiles, as_of_date(as_of)))
        result = store.query_store(st, text, source, max_rows, timeout)
    click.echo(render_sparql.render(result, fmt, lang))
    if render_sparql.is_truncated(result):
        click.echo("carekb: warning: " + t("sparql.truncated_warning", max_rows=f"{max_rows:,}"), err=True)
    if fmt == "table" and sys.stderr.isatty():
        click.echo(t("sparql.seconds", seconds=f"{time.perf_counter() - started:.3f}"), err=True)


def _print_library(lang: str) -> None:
    click.echo(render_sparql.library_text(store.library(), lang))


@main.command()
@click.option("--format", "fmt", type=click.Choice(["ttl", "nt", "nq", "jsonld"]), default="ttl", show_default=True)
@WITH_OPTION
@AS_OF_OPTION
@click.option("--output", "-o", type=click.Path(dir_okay=False))
@LANG_ONLY_OPTION
@handles_errors
def export(fmt, profiles, as_of, output):
    """`carekb export` (its --help: help.export in carekb/i18n/messages-help.yaml)."""
    data = store.serialize(store.oxigraph_store(store.dataset(profiles, as_of_date(as_of))), fmt)
    if output:
        write_atomically(output, data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=7878, show_default=True)
@WITH_OPTION
@AS_OF_OPTION
@click.option("--timeout", type=click.IntRange(1, 3600), default=30, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=4, show_default=True)
@click.option("--max-rows", type=click.IntRange(1, 10_000_000), default=100_000, show_default=True)
@click.option("--max-bytes", type=click.IntRange(1_000, 2_000_000_000), default=64_000_000, show_default=True)
@click.option("--api-key", envvar="CAREKB_API_KEY", metavar="KEY")
@LANG_ONLY_OPTION
@handles_errors
def serve(host, port, profiles, as_of, timeout, workers, max_rows, max_bytes, api_key):
    """`carekb serve` (its --help: help.serve in carekb/i18n/messages-help.yaml)."""
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
