"""The speed report (python -m fastact) runs and writes well-formed JSON."""

import json
import subprocess
import sys

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
