"""The query workers of `carekb serve`: spawned processes that each hold the whole graph in an
in-memory pyoxigraph store, check a query (carekb.graph.sparql_safety), run it and write the answer.

Why processes: pyoxigraph evaluates a query in native code that no Python thread can interrupt, so
a time limit that works must be able to kill the evaluating process.  A worker past its deadline is
killed and a fresh one is spawned in its place; one that crashes (a query the engine cannot survive)
is replaced the same way, and the server goes on.  Workers are spawned, never forked, so the same
code runs where `os.fork` is missing (Windows).

Why no port: a worker talks to the server only over the anonymous pipe multiprocessing created for
it; there is no socket another local process could connect to.  On Linux each worker also leaves
the network (sparql_safety.drop_network) before it loads anything, so SERVICE could reach nothing
even if a query slipped past the check.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from dataclasses import dataclass

import anyio

from carekb.model.errors import CarekbError
from carekb.graph.sparql_safety import check_query, drop_network
from carekb.app.sparql import parser_message
from carekb.web.answer_cache import AnswerCache
from carekb.web.sparql_results import negotiate, write


# numpy's BLAS starts a thread pool when carekb is imported, and a process with threads may not enter a
# new namespace (unshare): the workers are started with one BLAS thread, which is all a query needs.
SINGLE_THREADED = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
_ENV_LOCK = threading.Lock()


@dataclass
class Answer:
    """What the server sends: a status, a media type and a complete body (never cut mid-way)."""

    status: int
    content_type: str
    body: bytes
    rows: int = 0
    truncated: str | None = None
    kind: str = ""


def _text(status: int, message: str) -> Answer:
    return Answer(status, "text/plain; charset=utf-8", (message + "\n").encode())


def worker_main(conn, nquads: bytes, max_rows: int, max_bytes: int) -> None:
    """A worker's life: leave the network, load the graph, then answer jobs until the pipe closes."""
    offline = drop_network()  # first: a process with threads may not change its namespaces
    import pyoxigraph as ox

    store = ox.Store()
    if nquads:
        store.bulk_load(input=nquads, format=ox.RdfFormat.N_QUADS)
    parent = multiprocessing.parent_process()
    if parent is not None:  # a server killed outright must not leave a runaway query behind
        threading.Thread(target=lambda: (parent.join(), os._exit(0)), daemon=True).start()
    conn.send(("ready", offline))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        conn.send(_answer(store, *job, max_rows=max_rows, max_bytes=max_bytes))


def _answer(store, text: str, accept: str | None, *, max_rows: int, max_bytes: int) -> Answer:
    try:
        kind = check_query(text, "query")
    except CarekbError as e:
        return _text(403 if getattr(e, "forbidden", False) else 400, str(e))
    fmt = negotiate(accept, kind in ("CONSTRUCT", "DESCRIBE"))
    if fmt is None:
        return _text(406, f"cannot answer a {kind} query in any of: {accept}")
    try:
        written = write(store.query(text), fmt, max_rows, max_bytes)
    except SyntaxError as e:
        return _text(400, f"query: malformed SPARQL: {parser_message(str(e))}")
    except (OSError, RuntimeError, ValueError, TypeError) as e:
        return _text(400, f"query: query failed: {parser_message(str(e))}")
    return Answer(200, written.content_type, written.body, written.rows, written.truncated, kind)


class Worker:
    """One spawned worker and the server's end of its pipe."""

    def __init__(self, ctx, nquads: bytes, max_rows: int, max_bytes: int, ready_timeout: float):
        self.conn, child = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(target=worker_main, args=(child, nquads, max_rows, max_bytes),
                                name="carekb-query-worker", daemon=True)
        with _ENV_LOCK:  # the child inherits the environment: one BLAS thread, so it can leave the network
            saved = {k: os.environ.get(k) for k in SINGLE_THREADED}
            os.environ.update(SINGLE_THREADED)
            try:
                self.proc.start()
            finally:
                for k, v in saved.items():
                    if v is None:
                        os.environ.pop(k, None)
                    else:
                        os.environ[k] = v
        child.close()
        if not self.conn.poll(ready_timeout):
            self.kill()
            raise CarekbError(f"a query worker did not start within {ready_timeout:.0f} s")
        try:
            _, self.offline = self.conn.recv()
        except EOFError:
            self.kill()
            raise CarekbError(f"a query worker exited while loading the graph (status {self.proc.exitcode})") from None

    def call(self, job: tuple, timeout: float) -> Answer | None:
        """The answer, or None if the worker ran past `timeout` or died (it must then be replaced)."""
        try:
            self.conn.send(job)
            if not self.conn.poll(timeout):
                return None
            return self.conn.recv()
        except (EOFError, OSError):
            return None

    async def ask(self, job: tuple, timeout: float) -> Answer | None:
        """call() without a thread: the event loop watches the pipe (where the loop can watch pipes).

        A thread hop, or an anyio cancel scope, costs about as much as a light query (~0.2 ms)."""
        loop = asyncio.get_running_loop()
        ready = loop.create_future()

        def wake():
            if not ready.done():
                ready.set_result(None)

        fd = self.conn.fileno()
        try:
            loop.add_reader(fd, wake)
        except (NotImplementedError, RuntimeError, ValueError):  # Windows' proactor loop: a thread waits
            return await anyio.to_thread.run_sync(self.call, job, timeout)
        timer = loop.call_later(timeout, wake)
        try:
            self.conn.send(job)
            await ready
            if not self.conn.poll(0):  # woken by the timer
                return None
            return self.conn.recv()
        except (EOFError, OSError):
            return None
        finally:
            timer.cancel()
            loop.remove_reader(fd)

    def kill(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(5)
        self.conn.close()


class QueryPool:
    """A fixed number of workers; a query waits for a free one (a bounded queue), runs with a
    deadline, and a worker that misses it is killed and replaced."""

    def __init__(self, nquads: bytes, workers: int = 2, timeout: float = 30, max_rows: int = 100_000,
                 max_bytes: int = 64_000_000, max_waiting: int = 32, ready_timeout: float = 120):
        self.nquads, self.size, self.timeout = nquads, workers, timeout
        self.max_rows, self.max_bytes, self.max_waiting = max_rows, max_bytes, max_waiting
        self.ready_timeout = ready_timeout
        self._ctx = multiprocessing.get_context("spawn")
        self._workers: list[Worker] = []
        self._idle = None
        self._waiting = 0
        self._lock = threading.Lock()
        self.replaced = 0
        self.answers = AnswerCache()

    def start(self) -> None:
        """Spawn the workers (blocking: each loads the graph) before the server accepts requests."""
        threads = [threading.Thread(target=self._spawn_one) for _ in range(self.size)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if len(self._workers) < self.size:
            self.close()
            raise CarekbError("the query workers could not be started")

    def _spawn_one(self) -> Worker | None:
        try:
            w = Worker(self._ctx, self.nquads, self.max_rows, self.max_bytes, self.ready_timeout)
        except CarekbError:
            return None
        with self._lock:
            self._workers.append(w)
        return w

    @property
    def offline(self) -> bool:
        """Whether every worker left the network (Linux namespaces)."""
        return bool(self._workers) and all(w.offline for w in self._workers)

    def _queue(self) -> asyncio.LifoQueue:
        if self._idle is None:  # created on the server's event loop
            self._loop = asyncio.get_running_loop()
            self._idle = asyncio.LifoQueue()  # the worker used last is the one most likely still on a core
            for w in list(self._workers):
                self._idle.put_nowait(w)
        return self._idle

    async def run(self, text: str, accept: str | None, fresh: bool = False) -> Answer:
        """The answer to a query; `fresh` skips the answer cache (the query runs in a worker)."""
        key = self.answers.key(text, accept)
        if not fresh:
            kept = self.answers.get(key)
            if kept is not None:
                return kept
        answer = await self._evaluate(text, accept)
        self.answers.put(key, answer)
        return answer

    async def _evaluate(self, text: str, accept: str | None) -> Answer:
        idle = self._queue()
        try:
            worker = idle.get_nowait()
        except asyncio.QueueEmpty:
            if self._waiting >= self.max_waiting:
                return _text(503, f"the server is busy ({self.max_waiting} queries waiting); try again shortly")
            self._waiting += 1
            try:
                worker = await asyncio.wait_for(idle.get(), self.timeout)
            except asyncio.TimeoutError:
                return _text(503, f"no query worker became free within {self.timeout:g} s; try again shortly")
            finally:
                self._waiting -= 1
        started = time.monotonic()
        answer = None
        try:
            answer = await worker.ask((text, accept), self.timeout)
        finally:
            if answer is not None:
                idle.put_nowait(worker)
            else:  # past its time, dead, or the request was cancelled mid-way: a fresh worker takes its place
                crashed = not worker.proc.is_alive()
                threading.Thread(target=self._replace, args=(worker,), daemon=True).start()
        if answer is not None:
            return answer
        if crashed and time.monotonic() - started < self.timeout:
            return _text(500, "query: the query engine failed on this query; the query was stopped and the "
                              "server goes on")
        return _text(503, f"query: the query ran longer than {self.timeout:g} s and was stopped "
                          "(the server's time-out)")

    def _replace(self, dead: Worker) -> None:
        """Kill a worker and start another (in a thread: spawning and loading take a second or two)."""
        dead.kill()
        self.replaced += 1
        fresh = self._respawn(dead)
        if fresh is not None:
            try:
                self._loop.call_soon_threadsafe(self._idle.put_nowait, fresh)
            except RuntimeError:  # the server has stopped meanwhile
                fresh.kill()

    def _respawn(self, dead: Worker) -> Worker | None:
        with self._lock:
            if dead in self._workers:
                self._workers.remove(dead)
        return self._spawn_one()

    def close(self) -> None:
        with self._lock:
            workers, self._workers = self._workers, []
        for w in workers:
            w.kill()
