"""Threads the ecosystem's way (issue 13): threadpoolctl limits fastact, the
default respects CPU affinity and the cgroup CPU quota; set_num_threads and
num_threads() still win."""

import os

import pytest
from subproc import python_words

import fastact
from fastact import _threads


def _openmp():
    return fastact._kernels.build_info()["openmp"]


needs_openmp = pytest.mark.skipif(not _openmp(), reason="built without OpenMP")


@needs_openmp
def test_threadpool_limits_limits_fastact():
    pytest.importorskip("threadpoolctl")
    code = (
        "import os, numpy as np, fastact\n"
        "from threadpoolctl import threadpool_limits, threadpool_info\n"
        "n = lambda: len(os.listdir('/proc/self/task'))\n"
        "seen = any(i['internal_api'] == 'openmp' for i in threadpool_info())\n"
        "with threadpool_limits(1):\n"
        "    inside = fastact.get_num_threads()\n"
        "    a = n(); fastact.relu(np.ones(1 << 21, np.float32)); b = n()\n"
        "    fastact.ufunc.sigmoid(np.ones(1 << 21, np.float32)); c = n()\n"
        "    with fastact.num_threads(2):\n"
        "        block = fastact.get_num_threads()\n"
        "after = fastact.get_num_threads()\n"
        "fastact.set_num_threads(2)\n"
        "with threadpool_limits(1):\n"
        "    fixed = fastact.get_num_threads()\n"
        "print(seen, inside, a == b == c, block, after, fixed)\n")
    seen, inside, no_threads, block, after, fixed = python_words(code, OPENBLAS_NUM_THREADS="1")
    assert seen == "True", "threadpoolctl does not see fastact's OpenMP runtime"
    assert inside == "1"
    if os.path.isdir("/proc/self/task"):
        assert no_threads == "True", "threads started under threadpool_limits(1)"
    assert block == "2", "a num_threads() block wins over threadpoolctl"
    assert int(after) == min(_threads._cpu_count(), int(after)) and int(after) >= 1
    assert fixed == "2", "set_num_threads wins over threadpoolctl"


@needs_openmp
def test_default_is_capped_by_affinity():
    if not hasattr(os, "sched_setaffinity"):
        pytest.skip("no sched_setaffinity")
    cpu = sorted(os.sched_getaffinity(0))[0]
    code = (f"import os; os.sched_setaffinity(0, {{{cpu}}})\n"
            "import fastact; print(fastact.get_num_threads())")
    assert python_words(code) == ["1"]


def test_cgroup_quota(tmp_path):
    (tmp_path / "cpu.max").write_text("150000 100000\n")
    assert _threads._cgroup_quota(str(tmp_path)) == 2
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert _threads._cgroup_quota(str(tmp_path)) is None
    (tmp_path / "cpu.max").unlink()
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("50000\n")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert _threads._cgroup_quota(str(tmp_path)) == 1
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("-1\n")
    assert _threads._cgroup_quota(str(tmp_path)) is None
    assert _threads._cpu_count() >= 1


@needs_openmp
@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="needs Linux /proc")
def test_ufunc_inner_loop_runs_threaded_on_one_long_block():
    """NumPy hands a contiguous, uncast array to the inner loop as one block:
    the loop splits it across OpenMP threads (and a small call stays on one)."""
    code = (
        "import os, numpy as np, fastact\n"
        "n = lambda: len(os.listdir('/proc/self/task'))\n"
        "a = n(); fastact.ufunc.relu(np.ones(1000, np.float32)); b = n()\n"
        "fastact.ufunc.sigmoid(np.ones(1 << 21, np.float32)); c = n()\n"
        "print(a, b, c)\n")
    a, b, c = map(int, python_words(code, FASTACT_NUM_THREADS="2", OPENBLAS_NUM_THREADS="1"))
    assert a == b, "a small ufunc call started threads"
    assert c > b, "a 2M-element ufunc call with 2 threads allowed stayed on one thread"
