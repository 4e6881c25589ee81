"""Office profiles (docs/profile.md), one module per step:

- `office`: the Office record and the keys a profile may have;
- `read`: a file, text or dict into a plain document (YAML with key lines, JSON, Turtle);
- `check`: the document checked against the KB, into an Office;
- `bind`: the office fixed to a date and its rule period, with the period's own checks.

The names below are re-exported so that `carekb.inputs.profile.X` keeps naming each of them.
"""

from carekb.inputs.profile.office import MAX_PROFILE_BYTES, HISTORY_TIERS, TOP_KEYS, OFFICE_KEYS, REGION_GRADES, TURTLE_PROPERTIES, LIST_KEYS, FACT_ATTRIBUTES, Office  # noqa: F401
from carekb.inputs.profile.read import _LineLoader, read_document, _json, _encoding_hint, turtle_profile, read_source  # noqa: F401
from carekb.inputs.profile.check import _Checker, parse_date, resolve_service, check, check_effort, is_action_id, parse_region, load_office  # noqa: F401
from carekb.inputs.profile.bind import resolve_period, coverage, check_effort_items, bind  # noqa: F401
