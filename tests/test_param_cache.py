"""The keyword API caches resolved parameters (fastact/_api.py): a cached
success must never let an invalid call through, nor change a result."""

import numpy as np
import pytest

import fastact


def test_cache_keeps_types_signs_and_dtypes_apart():
    x64 = np.array([-1.0, 2.0])
    x32 = x64.astype(np.float32)
    fastact.leaky_relu(x64, negative_slope=1.0)
    with pytest.raises(TypeError, match="bool"):
        fastact.leaky_relu(x64, negative_slope=True)       # True == 1.0, refused anyway
    fastact.leaky_relu(x64, negative_slope=0.0)
    assert np.signbit(fastact.leaky_relu(x64, negative_slope=-0.0)[0]) == np.signbit(-1.0 * -0.0)
    assert np.signbit(fastact.leaky_relu(x64, negative_slope=0.0)[0])
    fastact.celu(x64, alpha=1e-46)                           # fine in float64 ...
    with pytest.raises(ValueError, match="alpha"):
        fastact.celu(x32, alpha=1e-46)                       # ... 0 in float32
    with pytest.raises(ValueError, match="finite"):
        fastact.elu(x64, alpha=float("nan"))
    with pytest.raises(ValueError, match="finite"):
        fastact.elu(x64, alpha=float("nan"))
    with pytest.raises(TypeError):
        fastact.elu(x64, alpha=[1.0])                        # unhashable: not cached, refused
    for _ in range(600):                                     # past the cache's size
        fastact.elu(x64, alpha=float(_ + 1))
    np.testing.assert_array_equal(fastact.elu(x64, alpha=2.0),
                                  fastact.ufunc.elu(x64, 2.0))
