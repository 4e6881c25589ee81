"""carekb.render.ordered_writes: chunks finished out of order by forked workers land in file order,
each written once; a run abandoned wakes the chunks waiting; a failed write is one clear error."""

import os
import time

import pytest

from carekb.model.errors import CarekbError
from carekb.render.ordered_writes import Aborted, OrderedFiles


def _files(tmp_path, n=2):
    fds = [os.open(tmp_path / f"f{i}", os.O_RDWR | os.O_CREAT) for i in range(n)]
    for fd in fds:
        os.write(fd, b"HEAD\n")
    return fds


def test_chunks_finished_in_reverse_order_land_in_file_order(tmp_path):
    fds = _files(tmp_path)
    files = OrderedFiles(fds, [5, 5], ["f0", "f1"])
    pids = []
    for k in reversed(range(6)):        # the last chunk is ready first: it must wait for the others
        pid = os.fork()
        if pid == 0:
            time.sleep(0.05 * (6 - k))
            files.place(k, [[b"s%d\n" % k], [b"a%d-" % k, b"x" * k, b"\n"]])
            os._exit(0)
        pids.append(pid)
    assert all(os.waitstatus_to_exitcode(os.waitpid(p, 0)[1]) == 0 for p in pids)
    assert (tmp_path / "f0").read_bytes() == b"HEAD\n" + b"".join(b"s%d\n" % k for k in range(6))
    assert (tmp_path / "f1").read_bytes() == b"HEAD\n" + b"".join(b"a%d-" % k + b"x" * k + b"\n" for k in range(6))
    assert files.ends() == [5 + 18, 5 + sum(4 + k for k in range(6))]


def test_a_held_chunk_stops_the_later_ones_and_abort_wakes_them(tmp_path):
    files = OrderedFiles(_files(tmp_path, 1), [5], ["f0"])
    files.place(0, [[b"a\n"]], hold=True)
    pid = os.fork()
    if pid == 0:
        try:
            files.place(1, [[b"never\n"]])
        except Aborted:
            os._exit(7)
        os._exit(0)
    time.sleep(0.3)
    files.abort()
    assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 7
    assert (tmp_path / "f0").read_bytes() == b"HEAD\na\n"


def test_a_write_that_fails_is_one_clear_error(tmp_path):
    fd = os.open(tmp_path / "ro", os.O_RDONLY | os.O_CREAT)
    with pytest.raises(CarekbError) as e:
        OrderedFiles([fd], [0], ["out.csv"]).place(0, [[b"x"]])
    assert e.value.args[-1] == "out.csv" or "out.csv" in str(e.value)
