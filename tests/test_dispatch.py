"""Runtime instruction-set dispatch (fastact/_dispatch.py): which kernel target
a CPU gets, FASTACT_CPU, and rebinding between targets in one process."""

import os
import platform

import numpy as np
import pytest
from subproc import run_python

import fastact
from fastact import _dispatch, _kernels

X86 = platform.machine().lower() in ("x86_64", "amd64")
COMPILED = _dispatch.compiled_targets()
SUPPORTED = _dispatch.supported_targets()
NATIVE_BUILD = COMPILED == ("native",)

# Feature sets of real CPUs (as fa_cpu.h reports them).
NEHALEM = frozenset({"sse2", "sse4.2"})
HASWELL = NEHALEM | {"avx", "avx2", "fma", "bmi1", "bmi2", "f16c", "lzcnt", "movbe",
                     "os_ymm"}
SKYLAKE_X = HASWELL | {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl", "os_zmm"}


@pytest.fixture
def fake_cpu(monkeypatch):
    """Make the dispatcher see another CPU's features."""
    def use(features):
        monkeypatch.setattr(_kernels, "cpu_features", lambda: frozenset(features))
    return use


def test_the_build_has_its_targets():
    assert COMPILED, "no kernel module"
    if not NATIVE_BUILD:
        assert "baseline" in COMPILED
        if X86:
            assert set(COMPILED) == {"baseline", "avx2", "avx512"}


def test_the_chosen_target_is_the_best_supported_one():
    forced = os.environ.get("FASTACT_CPU")
    assert _dispatch.current() == (forced or SUPPORTED[0])
    assert _dispatch.current() == _dispatch.choose()


@pytest.mark.skipif(not X86, reason="x86 CPU features")
def test_this_cpu_reports_its_features():
    have = _kernels.cpu_features()
    assert "sse2" in have
    # What the kernels of the chosen target need, the CPU has.
    assert not _dispatch.missing_features(_dispatch.current())
    if "avx512f" in have and "os_zmm" in have and "avx512" in COMPILED:
        assert "avx512" in SUPPORTED


@pytest.mark.skipif(NATIVE_BUILD or not X86, reason="needs the x86-64 targets")
@pytest.mark.parametrize("features, best", [
    (NEHALEM, "baseline"), (HASWELL, "avx2"), (SKYLAKE_X, "avx512"),
    # AVX-512 in the CPU but not enabled by the OS (XCR0): not used.
    (SKYLAKE_X - {"os_zmm"}, "avx2"),
    (HASWELL - {"os_ymm"}, "baseline"),
    # AVX2 without FMA (e.g. a hypervisor hiding it): the avx2 target needs FMA.
    (HASWELL - {"fma"}, "baseline"),
])
def test_choice_follows_the_cpu(fake_cpu, features, best):
    fake_cpu(features)
    assert _dispatch.choose(env={}) == best
    assert _dispatch.supported_targets()[0] == best


@pytest.mark.skipif(NATIVE_BUILD or not X86, reason="needs the x86-64 targets")
def test_forcing_a_target_the_cpu_lacks_says_what_it_has(fake_cpu):
    fake_cpu(HASWELL)
    with pytest.raises(RuntimeError) as info:
        _dispatch.choose(env={"FASTACT_CPU": "avx512"})
    message = str(info.value)
    assert "FASTACT_CPU=avx512" in message
    assert "avx512f" in message and "os_zmm" in message     # what is missing
    assert "it has: " in message and "avx2" in message       # what the CPU has
    assert "usable targets: avx2, baseline" in message
    with pytest.raises(RuntimeError, match="lacks"):
        _dispatch.use("avx512")


def test_forcing_an_unknown_target_names_the_built_ones():
    with pytest.raises(RuntimeError, match="no such target; it has " + ", ".join(COMPILED)):
        _dispatch.choose(env={"FASTACT_CPU": "sse9"})


def test_import_fails_clearly_for_a_bad_forced_target():
    rc, _, err = run_python("import fastact", FASTACT_CPU="sse9")
    assert rc != 0
    assert "FASTACT_CPU=sse9" in err and "no such target" in err


@pytest.mark.parametrize("target", SUPPORTED)
def test_forcing_each_supported_target_at_import(target):
    rc, out, err = run_python("import fastact, numpy as np; from fastact import _dispatch\n"
                "print(_dispatch.current())\n"
                "print(float(fastact.sigmoid(np.float32(0.5))))\n"
                "fastact.show_config()", FASTACT_CPU=target)
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0] == target
    assert abs(float(lines[1]) - 0.6224593) < 1e-6
    assert f"chosen:     {target} (forced by FASTACT_CPU)" in out


def test_rebinding_keeps_the_kernel_objects_and_their_settings():
    before = dict(_kernels.KERNELS)
    grains = {name: k.grain for name, k in before.items()}
    x = np.linspace(-8, 8, 1001, dtype=np.float32)
    expected = fastact.tanh(x)
    start = _dispatch.current()
    try:
        for target in SUPPORTED:
            _dispatch.use(target)
            assert _dispatch.current() == target
            assert all(_kernels.KERNELS[n] is k for n, k in before.items())
            assert {n: k.grain for n, k in _kernels.KERNELS.items()} == grains
            got = fastact.tanh(x)
            # Every target keeps the contract (<= 2 ULP), so within 4 of each other.
            assert np.all(np.abs(got - expected) <= 4 * np.spacing(np.abs(expected)))
    finally:
        _dispatch.use(start)
    assert _dispatch.current() == start


def test_using_a_target_that_is_not_built_is_an_error():
    with pytest.raises(ValueError, match="no compiled target 'sse9'"):
        _dispatch.use("sse9")
