"""SPARQL over the KB (+ solver results), one module per job:

- `dataset`: the graph (KB files + evaluated offices) in an embedded pyoxigraph store, and its export;
- `local`: read-only queries on that store (row cap, time-out, one-line errors), answers compared;
- `remote`: a SPARQL 1.1 endpoint client, and the KB read from an endpoint;
- `library`: the named queries of queries/*.rq and their typed parameters.
(`carekb serve`, the endpoint, is carekb.web.)

Every answer has the SPARQL 1.1 Query Results JSON shape (`{"head": {"vars": [...]}, "results":
{"bindings": [...]}}` or `{"head": {}, "boolean": b}`), from the embedded store or an endpoint alike;
CONSTRUCT and DESCRIBE answers are N-Triples text.  Text, CSV and TSV forms are carekb.render.sparql.
The names below are re-exported so that `carekb.app.sparql.X` keeps naming each of them.
"""

from carekb.app.sparql.dataset import PREFIXES, Dataset, dataset, evaluations_dataset, oxigraph_store, rdflib_graph, EXPORT_FORMATS, serialize  # noqa: F401
from carekb.app.sparql.local import _position, parser_message, query_store, _nquads, _run_reloaded, _run_local, query_rdflib, normalised  # noqa: F401
from carekb.app.sparql.remote import DEFAULT_TIMEOUT_S, query_endpoint, kb_from_endpoint  # noqa: F401
from carekb.app.sparql.library import Param, NamedQuery, PARAM_TYPES, queries_dir, parse_header, library, named_query, sparql_term, bind_params, escape_literal  # noqa: F401
