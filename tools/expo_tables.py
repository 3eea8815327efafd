"""README "Exponential family" tables from a report's JSON.

    python -m fastact --only sigmoid,logsigmoid,tanh,tanhshrink,elu,selu,celu,\
softplus,silu,swish,mish,gelu,gelu_tanh --dtype float32,float64 \
        --sizes 4K,256K,4M --threads 1,2 --direction forward,backward --json expo.json
    python tools/expo_tables.py expo.json

One markdown table per dtype: fastact's ns/element per size and thread count
(`!`: a row the report flagged unreliable), and in brackets how many times
faster than NumPy (one thread) and than PyTorch (the same thread count).
"""

import json
import sys

ACTS = ["sigmoid", "logsigmoid", "tanh", "tanhshrink", "elu", "selu", "celu", "softplus",
        "silu", "swish", "mish", "gelu", "gelu_tanh"]
SIZES = [(4096, "4K"), (262144, "256K"), (4194304, "4M")]
DIRECTIONS = (("forward", "forward (out=)"), ("backward", "backward (x)"))


def _fmt(v):
    return f"{v:.3g}" if v < 10 else f"{v:.1f}"


def tables(report):
    rows = {(r["activation"], r["direction"], r["dtype"], r["size"], r["threads"], r["impl"]): r
            for r in report["results"]}
    out = []
    for dt in ("float32", "float64"):
        out += ["", f"{dt}:", "",
                "| activation | direction | "
                + " | ".join(f"{lab} {t}T" for _, lab in SIZES for t in (1, 2)) + " |",
                "|---|---|" + "---|" * (2 * len(SIZES))]
        for dirn, dlabel in DIRECTIONS:
            for a in ACTS:
                cells = []
                for n, _ in SIZES:
                    for t in (1, 2):
                        f = rows.get((a, dirn, dt, n, t, "fastact"))
                        if f is None:
                            cells.append("-")
                            continue
                        npy = rows.get((a, dirn, dt, n, 1, "numpy"))
                        pt = rows.get((a, dirn, dt, n, t, "torch"))
                        ns = f["ns_per_element"]
                        parts = []
                        if npy:
                            parts.append(f"{npy['ns_per_element'] / ns:.1f}x np")
                        if pt:
                            parts.append(f"{pt['ns_per_element'] / ns:.2f}x pt")
                        cells.append(_fmt(ns) + ("" if f["reliable"] else "!")
                                     + (f" ({', '.join(parts)})" if parts else ""))
                out.append(f"| {a} | {dlabel} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print(__doc__)
        return 2
    with open(argv[0]) as f:
        print(tables(json.load(f)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
