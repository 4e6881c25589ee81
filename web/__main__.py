"""`python -m carekb.web`: the web server, as `carekb serve` starts it (the command line execs this
module, so the two shells never import each other; options are those of `carekb serve --help`)."""

from __future__ import annotations

import argparse
import os
import sys

from carekb.model.dates import parse_date
from carekb.model.errors import CarekbError
from carekb.web.server import ServeOptions, run


def options(argv: list[str]) -> ServeOptions:
    ap = argparse.ArgumentParser(prog="carekb serve", description="see `carekb serve --help`")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=7878)
    ap.add_argument("--with", dest="profiles", action="append", default=[])
    ap.add_argument("--as-of", dest="as_of")
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--max-rows", type=int, default=100_000)
    ap.add_argument("--max-bytes", type=int, default=64_000_000)
    a = ap.parse_args(argv)
    as_of = parse_date(a.as_of, "--as-of", "") if a.as_of else None
    return ServeOptions(host=a.host, port=a.port, profiles=tuple(a.profiles), as_of=as_of, timeout=a.timeout,
                        workers=a.workers, max_rows=a.max_rows, max_bytes=a.max_bytes,
                        api_key=os.environ.get("CAREKB_API_KEY") or None)


def main(argv: list[str] | None = None) -> int:
    try:
        run(options(sys.argv[1:] if argv is None else argv), echo=lambda line: print(line, file=sys.stderr, flush=True))
    except CarekbError as e:
        print(f"carekb: error: {e}", file=sys.stderr)
        return e.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
