"""Compiling rules from several threads at once (the web server answers requests in threads): no
false "circular rule definition", the same answers as one thread, and a failure leaves nothing behind."""

import copy
import threading

from carekb.solver.gap import evaluate
from carekb.solver.state import ATTRIBUTE

from conftest import office


def test_threads_compile_the_same_rules_as_one(kb):
    fresh = copy.copy(kb)                # the same facts, an empty solver state: every thread compiles
    fresh.__dict__.pop(ATTRIBUTE, None)
    offices = [office(fresh, svc, day, met=["cp1.1", "wage.1"], workplace=[1, 2, 3])[0]
               for svc in ("employment-b", "after-school-day", "short-stay", "home-care")
               for day in ("2025-07-01", "2026-07-01")]

    def answer(o):
        ev = evaluate(fresh, o, fresh.period_at(o.as_of))
        return {t: (r.cost, r.missing) for t, r in ev.results.items()}

    results, errors = {}, []

    def work(k):
        try:
            for i, o in enumerate(offices):
                results[(k, i)] = answer(o)
        except Exception as e:  # noqa: BLE001 — the test reports any failure of a thread
            errors.append(repr(e))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    alone = [answer(o) for o in offices]
    assert all(results[(k, i)] == alone[i] for k in range(4) for i in range(len(offices)))
