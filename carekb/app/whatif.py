"""What-if: change a profile's data (add/remove actions, set keys), or move it to another rule period.

Changes are made to the profile document (the dict read from the file) and the result is checked
by carekb.profile.check exactly like a file, so a bad --set value gets the same message a bad
file would. Periods are taken from kb.periods generically: a new period needs no code here.
"""

from __future__ import annotations

import copy
import datetime as dt

from carekb.model.dates import as_of_or_today
from carekb.model import actions
from carekb.inputs import normalize
from carekb.model.errors import CarekbError
from carekb.i18n import t
from carekb.model.types import KB, Period
from carekb.inputs.profile import Office, bind, check, is_action_id, resolve_period
from carekb.inputs.profile.yaml_problems import yaml_problem
from carekb.solver.gap import Evaluation, evaluate
from carekb.app.contract import merged_warnings, note_overlays
from carekb.app.report import to_dict

NESTED = ("office", "history", "effort")   # --set office.region=…: the first dot separates the mapping


def action_target(kb: KB, action: str, option: str) -> tuple[str, object]:
    """action_field of an action id given on the command line (`option`), which must be known."""
    if not isinstance(action, str):   # the library door and the JSON API pass what they are given
        raise CarekbError(t("err.whatif.action_not_text", kind=type(action).__name__, value=f"{action!r:.40}"), option)
    if not is_action_id(kb, action):
        try:
            action = normalize.action(kb, action, option)   # as people write it: 見える化要件, workplace.㉒
        except CarekbError as e:
            if getattr(e, "kind", "") != "norm.unknown_name":   # ambiguous, or not an item number: say so
                raise
    if not is_action_id(kb, action):
        raise CarekbError(t("err.whatif.unknown_action", action=action), option)
    return action_field(action)


def action_field(action: str) -> tuple[str, object]:
    """The profile list (and Office field) an action id goes in, and its entry there:
    atoms → met, workplace.N → workplace (N), pledge.X → pledged (X)."""
    a = actions.parse(action)
    if a.kind == actions.WORKPLACE:
        return "workplace", a.number
    if a.kind == actions.PLEDGE:
        return "pledged", a.key
    return "met", action


def parse_set(item: str) -> tuple[str, object]:
    """KEY=VALUE with the value read as YAML (4700000, true, 6級地, [1, 3, 18], none)."""
    import yaml

    key, eq, raw = item.partition("=")
    key = key.strip()
    if not eq or not key:
        raise CarekbError(t("err.whatif.expected_key_value", got=repr(item)), "--set")
    try:
        value = normalize.yaml_value(raw, "--set", key) if raw.strip() else None   # no 1:30 = 90, no 0x10 = 16
    except yaml.YAMLError as e:
        raise CarekbError(t("err.whatif.not_yaml_value", key=key, problem=yaml_problem(str(getattr(e, "problem", e)))), "--set") from None
    except RecursionError:   # [[[[… 20,000 deep: the YAML composer recurses per level
        raise CarekbError(t("err.whatif.too_deep", key=key), "--set") from None
    return key, value


def apply_changes(kb: KB, data: dict, adds=(), removes=(), sets=()) -> tuple[dict, list[dict]]:
    """A changed copy of a profile document, and the list of changes made (for the result).
    `sets` holds "KEY=VALUE" strings (the value read as YAML) or (key, value) pairs."""
    data = copy.deepcopy(data)
    changes: list[dict] = []
    for item in sets:
        if isinstance(item, str):
            key, value = parse_set(item)
        elif isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[0], str):
            key, value = item
        else:   # the library door and the JSON API pass what they are given
            raise CarekbError(t("err.whatif.expected_key_value", got=f"{item!r:.60}"), "--set")
        head, dot, rest = key.partition(".")
        if dot and head not in NESTED:
            raise CarekbError(t("err.whatif.dotted_key", key=key), "--set")
        if dot:
            container = data.setdefault(head, {})
            if not isinstance(container, dict):
                raise CarekbError(t("err.whatif.not_mapping", head=head), "--set")
            old = container.get(rest)
            container[rest] = value
        else:
            old = data.get(key)
            data[key] = value
        changes.append({"op": "set", "key": key, "old": old, "new": value})
    for op, actions in (("add", adds), ("remove", removes)):
        for action in actions:
            key, value = action_target(kb, action, f"--{op}")
            current = list(data.get(key) or [])
            present = value in current
            if op == "add" and not present:
                current.append(value)
            elif op == "remove" and present:
                current.remove(value)
            data[key] = current
            change = {"op": op, "action": action, "key": key}
            if present == (op == "add"):
                change["note"] = "already in the profile" if op == "add" else "not in the profile: nothing removed"
            changes.append(change)
    return data, changes


def changed_office(kb: KB, data: dict, source: str, changes: list[dict]) -> Office:
    """check() the changed document; an error on a key we changed says it came from the command line."""
    touched = {c.get("key") for c in changes}
    try:
        return check(data, {}, source, kb)
    except CarekbError as e:
        problems = getattr(e, "problems", None) or [e]  # CarekbErrors reports several problems
        for problem in problems:
            key = problem.where.split(" ")[0] if problem.where else None
            if key and any(key == k or key.startswith(f"{k}.") for k in touched if k):  # effort.workplace.² under effort
                problem.where += t("err.whatif.as_changed")
        e.where = problems[0].where
        raise


def delta(before: dict, after: dict) -> dict:
    """What changed between two result dicts (report.to_dict)."""
    def diff(key):
        a, b = before.get(key), after.get(key)
        return None if a is None or b is None else round(b - a, 4)

    month = diff("yen_per_month")
    return {"highest": [before["highest"], after["highest"]], "period": [before["period"], after["period"]],
            "rate_pct": diff("rate_pct"), "yen_per_month": month,
            "yen_per_year": None if month is None else 12 * month}


# --------------------------------------------------------------------------- periods

def period_by_id(kb: KB, period_id: str) -> Period:
    if period_id not in kb.periods:
        raise CarekbError(t("err.unknown_period_known", period=period_id, periods=", ".join(kb.periods)), "--compare-periods")
    return kb.periods[period_id]


def day_in_period(period: Period, day: dt.date) -> dt.date:
    """The office's date clipped into the period: its start if earlier, its end if later."""
    if day < period.valid_from:
        return period.valid_from
    if period.valid_to is not None and day > period.valid_to:
        return period.valid_to
    return day


def evaluate_in_period(kb: KB, office: Office, period_id: str, use_pledges: bool = True) -> Evaluation:
    """The office under the rules of another period, on the date day_in_period picks.

    Workplace item numbers (and workplace.N efforts) are numbers in the list of the office's own
    period; they carry over only when the other period uses the same list. Otherwise this is an
    error: the numbering differs (R6 1–25 vs R7+ ①–㉘) and a silent renumbering would be a guess.
    """
    kb = kb.for_service(office.service)  # period ids name the periods of the office's scheme
    target = period_by_id(kb, period_id)
    own_day = as_of_or_today(office.as_of)
    numbered = office.workplace or any(map(actions.is_workplace, (a for a, _ in office.effort)))
    own = resolve_period(kb, own_day, office.source) if numbered else target
    if own.item_list != target.item_list:
        raise CarekbError(t("err.whatif.item_lists_differ", own=own.id, own_list=own.item_list, target=target.id,
                            target_list=target.item_list), office.source, "workplace")
    bound, period = bind(office, kb, day_in_period(target, own_day))
    return evaluate(kb, bound, period, use_pledges=use_pledges)


# --------------------------------------------------------------------------- the command's answer

def whatif(kb: KB, office: Office, adds=(), removes=(), sets=(), periods=None, as_of: dt.date | None = None,
           use_pledges: bool = True, overlays=()) -> tuple[dict, list[tuple[str, Evaluation, dict]]]:
    """The JSON contract of `carekb whatif` and its columns (name, Evaluation, result dict).

    `office` must come from a profile document (Office.document): the changes are made to the
    document and checked like a file.  `periods` is a list of period ids or "R7,R8"."""
    if not (adds or removes or sets or periods):
        raise CarekbError(t("err.whatif.nothing_to_compare"))
    if office.document is None:
        raise CarekbError(t("err.whatif.needs_profile"), office.source)
    kb = kb.for_service(office.service)  # action ids and periods are those of the office's scheme
    changes: list[dict] = []
    after = office
    if adds or removes or sets:
        new_data, changes = apply_changes(kb, office.document, adds, removes, sets)
        after = changed_office(kb, new_data, office.source, changes)
    if periods:
        ids = [p.strip() for p in periods.split(",")] if isinstance(periods, str) else [str(p).strip() for p in periods]
        ids = [p for p in ids if p]
        if not ids:
            raise CarekbError(t("err.whatif.name_periods"), "--compare-periods")
        moved = after.with_changes(as_of=as_of) if as_of else after
        evs = [evaluate_in_period(kb, moved, pid, use_pledges) for pid in ids]
        dicts = [to_dict(ev, alternatives=False) for ev in evs]
        requested = as_of_or_today(moved.as_of).isoformat()
        for d in dicts:
            d["as_of_requested"] = requested
        result = note_overlays({"periods": dicts, "changes": changes, "as_of_requested": requested,
                                "delta": delta(dicts[0], dicts[-1]), **merged_warnings(*dicts)}, overlays)
        return result, [(d["period"], ev, d) for ev, d in zip(evs, dicts)]

    def run(o: Office):
        bound, period = bind(o, kb, as_of)
        ev = evaluate(kb, bound, period, use_pledges=use_pledges)
        return ev, to_dict(ev, alternatives=False)

    ev_before, d_before = run(office)
    try:
        ev_after, d_after = run(after)
    except CarekbError as e:
        e.message += " (after --set/--add/--remove)"
        raise
    result = note_overlays({"before": d_before, "after": d_after, "changes": changes,
                            "delta": delta(d_before, d_after), **merged_warnings(d_before, d_after)}, overlays)
    return result, [("before", ev_before, d_before), ("after", ev_after, d_after)]
