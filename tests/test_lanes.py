"""The vector operations of `lanes` and the vector exp of `exp`, held to NumPy lane by lane."""
import os
import platform
import subprocess
import sys

import mpmath
import numba
import numpy as np
import pytest

from helpers import DTYPES
from scratchnet_fast._simd import lanes
from scratchnet_fast._simd.exp import LOWEST, exp_nonpositive

W = 32  # values per row in these tests: a whole number of vectors of either dtype, on any CPU


@pytest.fixture(params=DTYPES, ids=lambda t: t.__name__)
def dtype(request):
    return request.param


@numba.njit
def _exp_rows(X, out):
    for i in range(X.shape[0]):
        for k in range(0, X.shape[1], lanes.count(X.dtype)):
            lanes.store(out, exp_nonpositive(lanes.load(X, i, k), X), i, k)


@numba.njit
def _arithmetic(A, B, C, s, out, extra):
    """Vector by vector: fma with a scalar and with lanes, add, sub, div, where_less, floor, ldexp, splat; mul and
    sqrt into extra."""
    for i in range(A.shape[0]):
        for k in range(0, A.shape[1], lanes.count(A.dtype)):
            a, b, c = lanes.load(A, i, k), lanes.load(B, i, k), lanes.load(C, i, k)
            lanes.store(out, lanes.fma(a, s, b), 9 * i, k)
            lanes.store(out, lanes.fma(a, b, c), 9 * i + 1, k)
            lanes.store(out, lanes.add(a, b), 9 * i + 2, k)
            lanes.store(out, lanes.sub(a, b), 9 * i + 3, k)
            lanes.store(out, lanes.div(a, b), 9 * i + 4, k)
            lanes.store(out, lanes.where_less(a, b, c, a), 9 * i + 5, k)
            lanes.store(out, lanes.floor(a), 9 * i + 6, k)
            lanes.store(out, lanes.ldexp(b, lanes.floor(c)), 9 * i + 7, k)
            lanes.store(out, lanes.splat(A, s), 9 * i + 8, k)
            lanes.store(extra, lanes.mul(a, b), 2 * i, k)
            lanes.store(extra, lanes.sqrt(b), 2 * i + 1, k)


@numba.njit
def _count(A):
    return lanes.count(A.dtype)


def test_a_vector_is_one_register_of_either_dtype(dtype):
    assert lanes.REGISTER_BITS in (256, 512)
    assert lanes.count(dtype) == lanes.REGISTER_BITS // (8 * np.dtype(dtype).itemsize)
    assert _count(np.zeros((1, 1), dtype)) == lanes.count(dtype)


def exp_by_rows(x):
    X = np.ascontiguousarray(x.reshape(-1, W))
    out = np.empty_like(X)
    _exp_rows(X, out)
    return out.ravel()


def test_exp_is_within_one_ulp_of_the_exact_value(dtype):
    """Against exp to 80 bits (mpmath), not np.exp, which moved by 2 ulp between NumPy 1.26 and 2.4.

    Within 1 ulp where the CPU compiled for has FMA; its multiply-adds round twice without, and
    float64 then strays to 1.14 ulp (NUMBA_CPU_NAME=generic): 1.5 is the bound there.
    """
    x = -np.linspace(0, -LOWEST, 100_000 // W * W).astype(dtype)
    x[1::2] = -np.random.default_rng(0).uniform(0, -LOWEST, x[1::2].size)  # between the grid's points too
    got = exp_by_rows(x)
    assert got.dtype == dtype
    with mpmath.workprec(80):
        exact = [mpmath.exp(mpmath.mpf(float(v))) for v in x]
        ulps = [abs(mpmath.mpf(float(g)) - e) / float(np.spacing(g)) for g, e in zip(got, exact)]
    assert float(max(ulps)) <= (1 if lanes.HAS_FMA else 1.5)


def test_exp_edges(dtype):
    x = np.full(W, -1.0, dtype)
    x[:8] = [0.0, -0.0, LOWEST, LOWEST - 1, -1e30, -np.inf, np.nan, -np.finfo(dtype).tiny]
    got = exp_by_rows(x)
    eps = float(np.finfo(dtype).eps)
    assert got[0] == got[1] == 1
    assert got[2] == pytest.approx(np.exp(LOWEST), rel=eps)
    assert np.all(got[3:6] == got[2])
    assert np.isnan(got[6])
    assert got[7] == 1
    assert got[8:] == pytest.approx(np.exp(-1.0), rel=eps)


def test_arithmetic_matches_numpy(dtype):
    rng = np.random.default_rng(3)
    A = (rng.standard_normal((5, W)) * 10).astype(dtype)
    B = (rng.random((5, W)) + 0.5).astype(dtype)
    C = (rng.random((5, W)) * 20 - 10).astype(dtype)
    A[0, :3] = np.nan, 1.0, -np.inf
    B[0, :3] = 1.0, np.nan, 1.0
    s = dtype(0.75)
    out = np.empty((9 * 5, W), dtype)
    extra = np.empty((2 * 5, W), dtype)
    _arithmetic(A, B, C, s, out, extra)
    out = out.reshape(5, 9, W)
    extra = extra.reshape(5, 2, W)
    eps = np.finfo(dtype).eps
    with np.errstate(invalid="ignore"):
        fused = [(A + s * B, np.abs(A) + np.abs(s * B)), (A + B * C, np.abs(A) + np.abs(B * C))]
        for got, (want, size) in zip(out.transpose(1, 0, 2), fused):  # one rounding, not two
            finite = np.isfinite(want)
            assert np.all(np.abs(got - want)[finite] <= 2 * eps * size[finite])
            np.testing.assert_array_equal(got[~finite], want[~finite])
        exact = [A + B, A - B, A / B, np.where(A < B, C, A), np.floor(A), B * 2.0 ** np.floor(C), np.full_like(A, s)]
        for got, want in zip(out.transpose(1, 0, 2)[2:], exact):
            np.testing.assert_array_equal(got, want.astype(dtype))
        np.testing.assert_array_equal(extra[:, 0], A * B)
        np.testing.assert_array_equal(extra[:, 1], np.sqrt(B))
    assert np.isnan(out[0, 5, 0]) and out[0, 5, 1] == 1.0  # NaN compares false: the else lanes


def test_load_and_store_at_any_row_and_column(dtype):
    A = np.arange(3 * 40, dtype=dtype).reshape(3, 40)
    out = np.zeros_like(A)

    @numba.njit
    def copy(A, out, i, k):
        lanes.store(out, lanes.load(A, i, k), i, k)

    copy(A, out, 2, 7)
    L = lanes.count(dtype)
    expected = np.zeros_like(A)
    expected[2, 7:7 + L] = A[2, 7:7 + L]
    np.testing.assert_array_equal(out, expected)


@numba.njit
def _nonzero_columns(A, cols):
    n = 0
    for k in range(0, A.shape[1], lanes.count(A.dtype)):
        n = lanes.store_nonzero_columns(cols, n, k, lanes.load(A, 0, k), lanes.load(A, 1, k), lanes.load(A, 2, k),
                                        lanes.load(A, 3, k))
    return n


def test_store_nonzero_columns_lists_the_columns_where_any_of_four_rows_is_nonzero(dtype):
    rng = np.random.default_rng(4)
    A = rng.standard_normal((4, W)).astype(dtype)
    A[rng.random(A.shape) < 0.85] = 0
    A[:, 3] = -0.0  # a negative zero is zero
    A[2, 5] = np.nan  # a NaN is not
    A[:, 6] = 0
    A[1, 6] = np.nan
    cols = np.full(W + lanes.count(dtype), -1, np.int32)
    n = _nonzero_columns(A, cols)
    expected = np.flatnonzero(np.any(A != 0, axis=0))
    assert n == len(expected) and 3 not in expected and 5 in expected and 6 in expected
    np.testing.assert_array_equal(cols[:n], expected)


@pytest.mark.skipif(not numba.config.BOUNDSCHECK, reason="needs NUMBA_BOUNDSCHECK=1, as .ci/run sets")
def test_load_past_the_end_is_caught_by_boundscheck():
    @numba.njit
    def copy_at(A, i, k, out):
        lanes.store(out, lanes.load(A, i, k), 0, 0)

    L = lanes.count(np.float64)
    A, out = np.zeros((3, 40)), np.zeros((1, L))
    copy_at(A, 2, 40 - L, out)
    with pytest.raises(IndexError):
        copy_at(A, 2, 40 - L + 1, out)
    with pytest.raises(IndexError):
        copy_at(A, 3, 0, out)
    with pytest.raises(IndexError):
        copy_at(A, 0, 0, np.zeros((1, L - 1)))


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="names x86-64 CPUs")
@pytest.mark.parametrize("cpu, bits, fma", [("generic", 256, False), ("haswell", 256, True), ("skylake-avx512", 512, True)])
def test_the_vector_width_and_fma_follow_the_cpu_numba_compiles_for(cpu, bits, fma):
    """NUMBA_CPU_NAME, not the host: only machine code is made for the named CPU, so any x86-64 host can check them all."""
    code = "from scratchnet_fast._simd import lanes; print(lanes.REGISTER_BITS, lanes.HAS_FMA)"
    env = dict(os.environ, NUMBA_CPU_NAME=cpu, NUMBA_CPU_FEATURES="")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.split() == [str(bits), str(fma)]


@numba.njit
def _load_from_a_vector(a):
    return lanes.total(lanes.load(a, 0, 0))


@numba.njit
def _store_across_dtypes(a, b):
    lanes.store(b, lanes.load(a, 0, 0), 0, 0)


@numba.njit
def _add_across_dtypes(a, b):
    return lanes.total(lanes.add(lanes.load(a, 0, 0), lanes.load(b, 0, 0)))


@pytest.mark.parametrize("misuse,args,name", [
    (_load_from_a_vector, (np.zeros(16),), "load"),
    (_store_across_dtypes, (np.zeros((1, 16), np.float32), np.zeros((1, 16))), "store"),
    (_add_across_dtypes, (np.zeros((1, 16), np.float32), np.zeros((1, 16))), "add"),
])
def test_misused_intrinsics_are_typing_errors_that_name_them(misuse, args, name):
    """An intrinsic checks the types it is given: a 1-D array to load from, a float32 vector stored into float64, two
    dtypes added, each fail at typing with the intrinsic's name, never inside LLVM's code generation."""
    with pytest.raises(numba.core.errors.TypingError, match=rf"intrinsic {name}\b|{name}\("):
        misuse(*args)
