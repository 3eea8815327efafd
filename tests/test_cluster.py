"""Beyond one machine (issue 13): the Dask path on a distributed.LocalCluster of
2 worker processes, each memory-limited below the size of the array, forward
and backward, bitwise equal to fastact on the whole array in memory.

Marked slow (about a minute on 2 cores, and 1.5 GB in this process for the
in-memory reference): ``pytest -m slow tests/test_cluster.py``.
"""

import zlib

import numpy as np
import pytest

import fastact

pytestmark = pytest.mark.slow

WORKER_LIMIT = 300 * 2**20          # bytes per worker
SHAPE, CHUNKS = (96_000, 1024), (2_000, 1024)   # float32: 375 MiB, 8 MiB chunks


def _crc_blocks(a, chunks):
    """crc32 of every block of ``a`` (an ndarray) cut as ``chunks``."""
    out = []
    r0 = 0
    for rows in chunks[0]:
        out.append(zlib.crc32(np.ascontiguousarray(a[r0:r0 + rows]).tobytes()))
        r0 += rows
    return out


def _crc(block):
    return np.array([[zlib.crc32(np.ascontiguousarray(block).tobytes())]], dtype=np.int64)


def test_local_cluster_forward_backward_match_in_memory():
    da = pytest.importorskip("dask.array")
    distributed = pytest.importorskip("distributed")
    import dask

    rng = da.random.default_rng(13)
    x = (rng.standard_normal(SHAPE, chunks=CHUNKS, dtype=np.float32) * 4)
    g = rng.standard_normal(SHAPE, chunks=CHUNKS, dtype=np.float32)
    assert x.nbytes > WORKER_LIMIT
    graphs = {
        "gelu": fastact.gelu(x),
        "gelu_backward": fastact.gelu_backward(g, x=x),
        "sigmoid_backward": fastact.sigmoid_backward(g, y=fastact.sigmoid(x)),
        "softmax": fastact.softmax(x, axis=1),
        "ufunc.swish": fastact.ufunc.swish(x, 1.5),
    }
    # Lazy until here; each result reduced on the workers to one crc per block,
    # so no worker (or the client) ever holds the whole array.
    crcs = {k: v.map_blocks(_crc, chunks=(1, 1), dtype=np.int64) for k, v in graphs.items()}
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  memory_limit=WORKER_LIMIT, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        # The Nanny starts workers with OMP_NUM_THREADS=1: fastact, which follows
        # OpenMP's count, runs one thread per task (no oversubscription).
        assert set(client.run(fastact.get_num_threads).values()) == {1}
        # one graph at a time: the inputs are regenerated per graph instead of
        # being held for the others
        got = {k: v.compute() for k, v in crcs.items()}
    with dask.config.set(scheduler="sync"):
        xs, gs = dask.compute(x, g)
    expect = {
        "gelu": fastact.gelu(xs),
        "gelu_backward": fastact.gelu_backward(gs, x=xs),
        "sigmoid_backward": fastact.sigmoid_backward(gs, y=fastact.sigmoid(xs)),
        "softmax": fastact.softmax(xs, axis=1),
        "ufunc.swish": fastact.swish(xs, beta=1.5),
    }
    for k, ref in expect.items():
        assert got[k].ravel().tolist() == _crc_blocks(ref, x.chunks), k
