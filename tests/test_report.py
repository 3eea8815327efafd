"""The speed report (python -m fastact) runs and writes well-formed JSON."""

import json
import subprocess
import sys

import pytest

import fastact


def test_report_quick_json(tmp_path):
    path = tmp_path / "report.json"
    proc = subprocess.run(
        [sys.executable, "-m", "fastact", "--quick", "--only", "relu", "--sizes", "4096",
         "--threads", "1", "--json", str(path)],
        capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "relu" in proc.stdout and "SIMD" in proc.stdout
    assert "cost ordering" in proc.stdout
    if "sigmoid" not in fastact.ACTIVATIONS:
        assert "n/a: sigmoid not in table" in proc.stdout
    assert "[" in proc.stderr  # progress lines go to stderr

    report = json.loads(path.read_text())
    assert {"config", "versions", "mode", "settings", "bandwidth", "results",
            "cost_ordering"} <= set(report)
    assert report["mode"] == "quick"
    assert report["config"]["simd"] and report["config"]["cpu"]
    assert report["settings"]["activations"] == ["relu"]
    assert report["bandwidth"]["streams"][0]["gb_per_s"] > 0
    impls = {r["impl"] for r in report["results"]}
    assert {"fastact", "numpy"} <= impls
    for r in report["results"]:
        assert r["activation"] == "relu" and r["size"] == 4096 and r["threads"] == 1
        assert r["dtype"] == "float32" and r["direction"] == "forward_"
        assert r["ns_per_element"] > 0 and r["gb_per_s"] > 0
    verdicts = {v["impl"]: v for v in report["cost_ordering"]}
    assert verdicts["fastact"]["ranking"][0][0] == "relu"
    assert "relu_sigmoid" in verdicts["fastact"]


def test_report_rejects_unknown_activation():
    proc = subprocess.run([sys.executable, "-m", "fastact", "--only", "nosuch"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode != 0
    assert "nosuch" in proc.stderr


def test_report_json_keeps_the_spread(tmp_path):
    path = tmp_path / "report.json"
    proc = subprocess.run(
        [sys.executable, "-m", "fastact", "--quick", "--only", "relu,sigmoid", "--sizes",
         "4096", "--threads", "1", "--no-torch", "--json", str(path)],
        capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "--quick took" in proc.stdout
    report = json.loads(path.read_text())
    assert report["elapsed_seconds"] > 0 and report["cpu_seconds"] > 0
    assert report["wall_seconds_total"] >= report["elapsed_seconds"]
    assert set(report["reliability"]) >= {"flagged_rows", "rows", "min_cpu_share"}
    for r in report["results"]:
        assert r["min"] <= r["q1"] <= r["seconds"] <= r["q3"] <= r["max"]
        assert r["iqr"] == pytest.approx(r["q3"] - r["q1"])
        assert r["rounds"] >= 3 and r["cpu_share"] > 0
        assert isinstance(r["flags"], list) and r["reliable"] == (not r["flags"])
        assert r["ns_per_element_min"] <= r["ns_per_element"] <= r["ns_per_element_max"]


def _row(name, impl, threads, ns, *, share=1.0, iqr=0.0, family=None):
    fam = family or fastact.ACTIVATIONS[name].family
    sec = ns * 1e-9 * 1024
    return {"activation": name, "family": fam, "direction": "forward_", "dtype": "float32",
            "size": 1024, "threads": threads, "impl": impl, "seconds": sec,
            "ns_per_element": ns, "iqr": iqr * sec, "cpu_share": share}


def test_tiers_come_from_the_table():
    """docs/CONTRACT.md's cost tiers, stated here independently of the table."""
    from fastact.bench.report import tier
    from fastact.bench.rows import variants

    assert tier("relu") == tier("hardswish") == 1
    assert tier("sigmoid") == tier("elu") == tier("gelu_tanh") == 2
    assert tier("softplus") == tier("logsigmoid") == tier("mish") == tier("gelu") == 3
    assert tier("softmax") is None
    for spec in fastact.ACTIVATIONS.values():
        for label, _ in variants(spec):
            assert (tier(label) is None) == (spec.family == "rowwise"), label


def test_flagged_rows_make_the_verdict_unreliable():
    """The loaded-machine run of issue 14: a 2-thread relu at 29.7 ns/el against
    0.25 on one thread gave "ReLU 6x faster than Sigmoid: holds (243x)"."""
    from fastact.bench.report import cost_ordering, flag_rows

    results = [
        _row("relu", "fastact", 1, 0.25), _row("sigmoid", "fastact", 1, 1.0),
        _row("gelu", "fastact", 1, 2.0),
        _row("relu", "fastact", 2, 29.7, share=0.4), _row("sigmoid", "fastact", 2, 0.122),
        _row("gelu", "fastact", 2, 1.0, iqr=0.6),
    ]
    flag_rows(results)
    by = {(r["activation"], r["threads"]): r for r in results}
    assert by["relu", 1]["reliable"] and by["sigmoid", 1]["reliable"]
    relu2 = by["relu", 2]
    assert not relu2["reliable"]
    assert any(f.startswith("cpu 40%") for f in relu2["flags"])
    assert any(f.startswith("threads 118.8x") for f in relu2["flags"])
    assert by["gelu", 2]["flags"] == ["spread 60%"]
    verdicts = {v["threads"]: v for v in cost_ordering(results, ["relu", "sigmoid", "gelu"])}
    assert verdicts[1]["relu_sigmoid"] == "does not hold (4.0x)"
    assert verdicts[1]["tiers"].startswith("holds")
    v2 = verdicts[2]
    assert v2["relu_sigmoid"].startswith("unreliable (0.0x from flagged rows: relu 2T: cpu 40%")
    assert "holds" not in v2["relu_sigmoid"] and v2["relu_sigmoid_reliable"] is False
    assert v2["tiers"].startswith("unreliable: 2 of 3 rows flagged")


def test_quick_note_says_when_the_promise_was_not_met():
    from fastact.bench.report import quick_time_note

    report = {"config": {"cpus": 2}, "load_average": 8.5, "load_average_after": 9.0,
              "cpu_seconds": 30.0, "reliability": {"flagged_rows": 40, "rows": 125},
              "results": [{"cpu_share": 0.3}, {"cpu_share": 0.5}]}
    assert quick_time_note(report, 9.0) == (
        "--quick took 9.0 s (promised: about 10 s on an idle 2-core machine)")
    slow = quick_time_note(report, 82.0)
    assert "82.0 s" in slow and "NOT met" in slow and "load average 8.5 on 2 CPUs" in slow
    assert "30.0 s of the 82.0 s" in slow and "40% of their wall time" in slow
    assert "40 of 125 rows flagged" in slow


def test_plot_draws_small_multiples_and_speedups(tmp_path):
    pytest.importorskip("matplotlib")
    from fastact.bench.report import flag_rows, plot

    results = []
    for size in (1 << 10, 1 << 14, 1 << 18):
        for impl, scale in (("fastact", 1.0), ("numpy", 3.0), ("torch", 1.5)):
            for name in ("relu", "sigmoid", "softmax"):
                r = _row(name, impl, 1, 0.1 * scale * (2 if name != "relu" else 1))
                r["size"] = size
                results.append(r)
    results[0]["cpu_share"] = 0.2          # one flagged point: drawn hollow
    flag_rows(results)
    report = {"results": results, "config": {"fastact": "test", "cpu": "cpu", "simd": "x"},
              "settings": {"directions": ["forward_"], "dtypes": ["float32"],
                           "libraries": ["fastact", "numpy", "torch"],
                           "activations": ["relu", "sigmoid", "softmax"]}}
    path = tmp_path / "plot.png"
    plot(report, str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10000
    # --replot draws the same from the JSON, measuring nothing.
    js = tmp_path / "r.json"
    js.write_text(json.dumps(report))
    out = tmp_path / "again.png"
    proc = subprocess.run([sys.executable, "-m", "fastact", "--replot", str(js), "--plot",
                           str(out)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert out.exists()
