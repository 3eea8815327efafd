"""The public API's shape: the table, the generated functions, threads, config."""

import inspect
import io
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pytest
from refcheck import elementwise_names
from subproc import python_words

import fastact
from fastact import _kernels
from fastact._table import PARALLEL_GRAIN, kernel_lists
from fastact.bench.references import REFERENCES

NAMES = elementwise_names()
# The contract, read as a document: the table is checked against it, never
# against itself.
CONTRACT = (Path(__file__).resolve().parent.parent / "docs" / "CONTRACT.md").read_text()


def contract_catalog():
    """name -> family of every activation in docs/CONTRACT.md's three tables."""
    families = {"Piecewise-linear": "piecewise", "Exponential": "exponential",
                "Row-wise": "rowwise"}
    catalog, family = {}, None
    for line in CONTRACT.splitlines():
        if line.startswith("## "):
            family = families.get(line[3:].split()[0])
        elif family and re.match(r"\| [a-z]", line) and not line.startswith("| name"):
            catalog[line[2:].split()[0]] = family
    return catalog


# docs/CONTRACT.md's piecewise-linear table: parameters with defaults, backward from y.
SPEC_PIECEWISE = {
    "identity": ({}, True),
    "relu": ({}, True),
    "relu6": ({}, True),
    "leaky_relu": ({"negative_slope": 0.01}, True),
    "prelu": ({}, False),
    "hardtanh": ({"min_val": -1.0, "max_val": 1.0}, True),
    "hardsigmoid": ({"slope": 1 / 6, "offset": 0.5}, True),
    "hardswish": ({}, False),
    "softsign": ({}, True),
}
# docs/CONTRACT.md's other families: family, backward from y.
SPEC_OTHERS = {
    "sigmoid": ("exponential", True), "logsigmoid": ("exponential", True),
    "tanh": ("exponential", True), "tanhshrink": ("exponential", False),
    "elu": ("exponential", True), "selu": ("exponential", True),
    "celu": ("exponential", True), "softplus": ("exponential", True),
    "silu": ("exponential", False), "mish": ("exponential", False),
    "gelu": ("exponential", False),
    "softmax": ("rowwise", True), "log_softmax": ("rowwise", True),
    "softmin": ("rowwise", True),
}


def test_every_piecewise_activation_has_a_reference():
    missing = [n for n, s in fastact.ACTIVATIONS.items()
               if s.family == "piecewise" and n not in REFERENCES]
    assert not missing, f"add a reference to fastact/bench/references.py for: {missing}"


def test_every_reference_is_an_activation():
    assert set(REFERENCES) <= set(fastact.ACTIVATIONS)
    for name, ref in REFERENCES.items():
        for params in ref.param_sets:
            assert set(params) <= set(fastact.ACTIVATIONS[name].params), name


def test_table_is_read_only():
    table = fastact.ACTIVATIONS
    assert isinstance(table, Mapping)
    with pytest.raises(TypeError):
        table["relu"] = table["identity"]
    with pytest.raises(TypeError):
        del table["relu"]
    with pytest.raises(TypeError):
        table["relu"].params["x"] = 1
    with pytest.raises(Exception):
        table["relu"].name = "other"
    assert "relu" in fastact.ACTIVATIONS


@pytest.mark.parametrize("name", sorted(fastact.ACTIVATIONS))
def test_table_entry(name):
    spec = fastact.ACTIVATIONS[name]
    assert spec.name == name
    assert spec.family in {"piecewise", "exponential", "rowwise"}
    assert isinstance(spec.params, Mapping)
    unnamed = [p for p in spec.params if not re.search(rf"\b{p}\b", CONTRACT)]
    assert not unnamed, f"{name}: docs/CONTRACT.md names no parameter {unnamed}"
    assert isinstance(spec.backward_from_y, bool)
    assert isinstance(spec.accepts_y(), bool)
    assert spec.accepts_y() == spec.backward_from_y
    if name in SPEC_PIECEWISE:
        params, from_y = SPEC_PIECEWISE[name]
        assert spec.family == "piecewise"
        assert dict(spec.params) == pytest.approx(params) and list(spec.params) == list(params)
        assert spec.backward_from_y == from_y
    if name in SPEC_OTHERS:
        assert (spec.family, spec.backward_from_y) == SPEC_OTHERS[name]


def test_contract_catalog_is_in_the_table():
    catalog = contract_catalog()
    assert set(SPEC_PIECEWISE) | set(SPEC_OTHERS) <= set(catalog)
    missing = sorted(set(catalog) - set(fastact.ACTIVATIONS))
    assert not missing, f"docs/CONTRACT.md lists activations fastact lacks: {missing}"
    for name, family in catalog.items():
        assert fastact.ACTIVATIONS[name].family == family, name


def test_compiled_kernels_follow_the_table():
    """setup.py renders the kernel modules from the table (kernel_lists): every
    kernel a row names is compiled, with its inputs and its family's grain, and
    nothing else is (a stale build shows here)."""
    lists = kernel_lists()
    nin = {k: n for k, n, _ in lists["KERNELS"]} | dict(lists["ROW_KERNELS"])
    nin |= {k + "_count": nin[k] for k, *_ in lists["COUNTED"]}
    assert {k: (v.nin, v.grain) for k, v in _kernels.KERNELS.items()} == {
        k: (n, lists["GRAINS"][k]) for k, n in nin.items()}
    for spec in fastact.ACTIVATIONS.values():
        for kernel in spec.kernels:
            if kernel is not None:
                assert lists["GRAINS"][kernel] == PARALLEL_GRAIN[spec.family], kernel


@pytest.mark.parametrize("name", NAMES)
def test_four_functions_with_spec_signatures(name):
    spec = fastact.ACTIVATIONS[name]
    P = inspect.Parameter
    params = [(p, P.KEYWORD_ONLY, d) for p, d in spec.params.items()]
    # Activations with a flat piece take a DeadUnitMonitor (test_monitor.py).
    mon = [("monitor", P.KEYWORD_ONLY, None)] if spec.flat else []
    expected = {
        name: [("x", P.POSITIONAL_ONLY, P.empty), ("out", P.KEYWORD_ONLY, None)] + mon + params,
        name + "_": [("x", P.POSITIONAL_ONLY, P.empty)] + mon + params,
        name + "_backward": [("grad", P.POSITIONAL_ONLY, P.empty),
                             ("x", P.KEYWORD_ONLY, None), ("y", P.KEYWORD_ONLY, None),
                             ("out", P.KEYWORD_ONLY, None)] + params,
        name + "_backward_": [("grad", P.POSITIONAL_ONLY, P.empty),
                              ("x", P.KEYWORD_ONLY, None), ("y", P.KEYWORD_ONLY, None)] + params,
    }
    for fname, items in expected.items():
        func = getattr(fastact, fname)
        assert callable(func) and fname in fastact.__all__
        assert func.__name__ == fname and func.__doc__
        sig = inspect.signature(func)
        got = [(p.name, p.kind, p.default) for p in sig.parameters.values()]
        assert got == items, f"{fname}{sig}"
    # Defaults are the ones used: passing them explicitly changes nothing.
    x = np.linspace(-8, 8, 101)
    assert np.array_equal(getattr(fastact, name)(x), getattr(fastact, name)(x, **spec.params),
                          equal_nan=True)


def test_prelu_signatures():
    P = inspect.Parameter
    for fname, items in {
        "prelu": [("x", P.POSITIONAL_ONLY), ("weight", P.POSITIONAL_ONLY),
                  ("out", P.KEYWORD_ONLY), ("monitor", P.KEYWORD_ONLY)],
        "prelu_": [("x", P.POSITIONAL_ONLY), ("weight", P.POSITIONAL_ONLY),
                   ("monitor", P.KEYWORD_ONLY)],
        "prelu_backward": [("grad", P.POSITIONAL_ONLY), ("x", P.POSITIONAL_ONLY),
                           ("weight", P.POSITIONAL_ONLY)],
    }.items():
        sig = inspect.signature(getattr(fastact, fname))
        assert [(p.name, p.kind) for p in sig.parameters.values()] == items
    assert fastact.ACTIVATIONS["prelu"].api == "prelu"
    assert not hasattr(fastact, "prelu_backward_")


# ---------------------------------------------------------------------------
# Threads
# ---------------------------------------------------------------------------
def _openmp():
    buf = io.StringIO()
    fastact.show_config(file=buf)
    return "OpenMP:     on" in buf.getvalue() or "OpenMP: on" in buf.getvalue()


def test_set_and_get_num_threads():
    fastact.set_num_threads(1)
    assert fastact.get_num_threads() == 1
    fastact.set_num_threads(3)
    assert fastact.get_num_threads() == (3 if _openmp() else 1)
    assert isinstance(fastact.get_num_threads(), int)


def test_num_threads_context_restores():
    fastact.set_num_threads(2)
    before = fastact.get_num_threads()
    with fastact.num_threads(1):
        assert fastact.get_num_threads() == 1
    assert fastact.get_num_threads() == before
    with pytest.raises(RuntimeError), fastact.num_threads(1):
        raise RuntimeError("inside")
    assert fastact.get_num_threads() == before


@pytest.mark.parametrize("bad,exc", [(0, ValueError), (-2, ValueError), (1.5, TypeError),
                                     ("2", TypeError), (None, TypeError), (True, TypeError)])
def test_bad_thread_counts(bad, exc):
    before = fastact.get_num_threads()
    with pytest.raises(exc):
        fastact.set_num_threads(bad)
    with pytest.raises(exc), fastact.num_threads(bad):
        pass
    assert fastact.get_num_threads() == before


def test_default_thread_count_from_environment():
    code = ("import os, fastact; print(fastact.get_num_threads()); "
            "print(len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') "
            "else os.cpu_count())")
    if not _openmp():
        assert python_words(code, FASTACT_NUM_THREADS="3")[0] == "1"
        return
    assert python_words(code, FASTACT_NUM_THREADS="3")[0] == "3"
    assert python_words(code, OMP_NUM_THREADS="5")[0] == "5"
    assert python_words(code, FASTACT_NUM_THREADS="3", OMP_NUM_THREADS="5")[0] == "3"
    assert python_words(code, OMP_NUM_THREADS="4,2")[0] == "4"
    threads, cpus = python_words(code)
    assert threads == cpus


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="needs Linux /proc")
def test_threads_really_start_only_above_the_threshold():
    """Counts this process's OS threads: a small call never starts the OpenMP
    pool, a large one does (with 2 threads allowed), and 1 thread never does."""
    code = (
        "import os, numpy as np, fastact\n"
        "n = lambda: len(os.listdir('/proc/self/task'))\n"
        "a = n(); fastact.relu(np.ones(1000, np.float32)); b = n()\n"
        "fastact.set_num_threads(1); fastact.relu(np.ones(1 << 21, np.float32)); c = n()\n"
        "fastact.set_num_threads(2); fastact.relu(np.ones(1 << 21, np.float32)); d = n()\n"
        "print(a, b, c, d)\n")
    if not _openmp():
        pytest.skip("built without OpenMP")
    a, b, c, d = map(int, python_words(code, FASTACT_NUM_THREADS="2", OPENBLAS_NUM_THREADS="1",
                                      OMP_NUM_THREADS="1", MKL_NUM_THREADS="1"))
    assert a == b == c, "a small or single-threaded call started threads"
    assert d > c, "a 2M-element call with 2 threads allowed stayed on one thread"


def test_show_config(capsys):
    fastact.show_config()
    text = capsys.readouterr().out
    assert fastact.__version__ in text
    for word in ("flags", "OpenMP", "SIMD", "threads"):
        assert word in text, word
    assert ("/O2" if sys.platform == "win32" else "-O3") in text   # MSVC, GCC/Clang
    assert "-ffast-math" not in text
    for n in (1, 2):
        with fastact.num_threads(n):
            fastact.show_config()
            line = [ln for ln in capsys.readouterr().out.splitlines() if "threads" in ln][0]
            assert re.search(rf"\b{fastact.get_num_threads()}\b", line), line
