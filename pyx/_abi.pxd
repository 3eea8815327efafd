# The interface between the driver (fastact._kernels, compiled once) and the
# per-target kernel modules (fastact._loops_<target>, one per instruction set;
# see pyx/_loops.pyx.tp).  Both sides cimport these declarations, so the
# structs have one layout; the kernels travel as a C table of function
# pointers in a PyCapsule (KERNEL_TABLE_CAPSULE).

cdef enum:
    MAX_OPS = 4       # up to 3 inputs + 1 output
    MAX_DIMS = 64     # NumPy 2's NPY_MAXDIMS


# A kernel processes n items of 1-D operands, NumPy-ufunc style: args[0 ..
# nin-1] are inputs, args[nin] the output, steps in bytes.  An item is one
# element for elementwise kernels (ctx -> double params[4]: p0..p2, and
# params[3] != 0 where the out-of-place contiguous loop should write with
# non-temporal stores) and one row for row-wise kernels (ctx -> RowCtx).
ctypedef void (*kernel_fn)(char** args, const Py_ssize_t* steps, Py_ssize_t n,
                           const void* ctx) noexcept nogil

# A kernel over a run of ``rows`` such rows at once: what
#     for r in range(rows): f(args + r * row_steps, steps, n, ctx)
# computes (row_steps in bytes, per operand), in one call, so that a layout
# the driver walks row by row (prelu's (N, C, L): the weight changes every
# L elements) pays the call and its set-up once per run instead of per row.
ctypedef void (*kernel2d_fn)(char** args, const Py_ssize_t* steps, Py_ssize_t n,
                             Py_ssize_t rows, const Py_ssize_t* row_steps,
                             const void* ctx) noexcept nogil


cdef struct RowCtx:
    Py_ssize_t length                 # entries along the axis (of the input)
    Py_ssize_t pieces                 # maxout group size (1 otherwise)
    Py_ssize_t axis_step[MAX_OPS]     # byte step along the axis, per operand
    double sign                       # +1 softmax / log_softmax, -1 softmin
    int stream                        # final pass may use non-temporal stores
    int threads                       # threads one long row may use (see LONG_ROW)


# Contiguous rows of at least LONG_ROW entries (softmax, softmin, log_softmax
# forward) are computed in chunks of LONG_CHUNK entries, each phase on up to
# RowCtx.threads threads (pyx/_rowwise.pxi.tp, _long_softmax_row): one long
# row is not left to one thread.
cdef enum:
    LONG_CHUNK = 16384
    LONG_ROW = 65536


# An N-d loop after sorting and merging axes (built by the driver's _loop_init).
cdef struct Loop:
    int nops                 # inputs + output (output last)
    int nd                   # dimensions left after sorting and coalescing
    Py_ssize_t size
    Py_ssize_t shape[MAX_DIMS]
    Py_ssize_t strides[MAX_OPS][MAX_DIMS]
    char* data[MAX_OPS]


# prelu's dweight: sum of g*x over x <= 0 for channel c of a Loop whose axis 0
# is the channel axis (op 0 = g, op 1 = x), in float64, in a fixed order.
ctypedef double (*chansum_fn)(const Loop* L, Py_ssize_t c, Py_ssize_t rows) noexcept nogil


# What a kernel module exports: kernels[2 * i] / [2 * i + 1] are the float32 /
# float64 loops of the i-th kernel named by the module's KERNEL_SPECS.
cdef struct KernelTable:
    Py_ssize_t count
    const kernel_fn* kernels
    const kernel2d_fn* kernels2d    # the same order; NULL where a kernel has none
    chansum_fn prelu_sum_f32
    chansum_fn prelu_sum_f64
