"""Vectors of floats for jitted code, one vector register wide: LLVM vector values, which Numba does not expose.

The head of the fused step works on a group of images at once, one per lane. Written as loops
over the lanes, LLVM unrolls them and then cannot prove that the small scratch arrays do not
overlap, so it leaves them scalar; these operations are vector instructions by construction.
A Lanes value fills one register of the CPU Numba compiles for: 512 bits with AVX-512, else 256
(16 or 8 float32, 8 or 4 float64; `count`). Wider vectors would be split over several registers,
and the fused step's eight accumulators of them no longer fit in the sixteen of AVX2. (A CPU with
128-bit registers, such as NUMBA_CPU_NAME=generic, gets 256-bit Lanes, which LLVM splits in two:
the kernels' tiles need four float64 lanes.) A Lanes value is loaded from and stored to `count`
consecutive elements of a C-contiguous 2-D array.
"""
import numpy as np
from llvmlite import binding as ll
from llvmlite import ir
from numba import config, types
from numba.core import cgutils
from numba.core.codegen import get_host_cpu_features, initialize_llvm
from numba.core.datamodel import models
from numba.core.extending import intrinsic, overload, register_model

_PROBE = """
declare <16 x float> @llvm.fma.v16f32(<16 x float>, <16 x float>, <16 x float>)
define <16 x float> @probe(<16 x float> %a, <16 x float> %b, <16 x float> %c) {
  %r = call <16 x float> @llvm.fma.v16f32(<16 x float> %a, <16 x float> %b, <16 x float> %c)
  ret <16 x float> %r
}
"""


def _target_machine_code():
    """The assembly LLVM makes for one 512-bit multiply-add on the CPU Numba compiles for.

    That CPU is NUMBA_CPU_NAME with NUMBA_CPU_FEATURES (either defaulting to the host's), as Numba
    builds its target machine, so a named CPU's own features count, not the host's.
    """
    initialize_llvm()
    target = ll.Target.from_triple(ll.get_process_triple())
    cpu = config.CPU_NAME or ll.get_host_cpu_name()
    features = config.CPU_FEATURES if config.CPU_FEATURES is not None else get_host_cpu_features()
    machine = target.create_target_machine(cpu=cpu, features=features, opt=config.OPT)
    module = ll.parse_assembly(_PROBE)
    module.triple = machine.triple
    return machine.emit_assembly(module)


_CODE = _target_machine_code()
REGISTER_BITS = 512 if "zmm" in _CODE else 256
"""512 where the target has 512-bit registers (AVX-512), else 256."""
HAS_FMA = "vfmadd" in _CODE
"""Whether the target has fused multiply-add instructions (x86's FMA3); `fma` rounds twice without them."""


def _lanes_of(bits):
    """Lanes in one register for values of `bits` bits."""
    return REGISTER_BITS // bits


def count(dtype):
    """The number of lanes of a vector of dtype; callable in jitted code too, there with A.dtype."""
    return _lanes_of(8 * np.dtype(dtype).itemsize)


@overload(count)
def _count_in_jitted_code(dtype):
    lanes = _lanes_of(dtype.dtype.bitwidth)
    return lambda dtype: lanes


class Lanes(types.Type):
    """One vector register of values of one float dtype: `count` lanes."""

    def __init__(self, dtype):
        self.dtype = dtype
        self.count = _lanes_of(dtype.bitwidth)
        super().__init__(name=f"Lanes({dtype})")


@register_model(Lanes)
class _LanesModel(models.PrimitiveModel):
    def __init__(self, dmm, fe_type):
        super().__init__(dmm, fe_type, ir.VectorType(dmm.lookup(fe_type.dtype).get_value_type(), fe_type.count))


def _matrix(A, kinds=(types.Float,)):
    """Whether A is the type of a 2-D array whose dtype is one of `kinds`: what the loads and stores read and write."""
    return isinstance(A, types.Array) and A.ndim == 2 and isinstance(A.dtype, kinds)


def _indices(*values):
    """Whether every value is an integer type: a row or a column."""
    return all(isinstance(v, types.Integer) for v in values)


def _vectors(*values):
    """Whether the values are Lanes of one dtype."""
    return all(isinstance(v, Lanes) for v in values) and len({v.dtype for v in values}) == 1


def _float_like(A):
    """Whether A is a float array or Lanes value: something with the float dtype of a vector."""
    return isinstance(A, (types.Array, Lanes)) and isinstance(A.dtype, types.Float)


# Each intrinsic below checks the types it is given and returns None for any other, so misuse is a
# typing error that names the intrinsic (as Numba's `intrinsic` asks), not a failure inside LLVM.


def _typed(signature, args):
    """The (type, value) pair of each argument of an intrinsic's call."""
    return list(zip(signature.args, args))


def _pointer(context, builder, A, i, k, lanes=None):
    """Pointer to the vector at A[i, k:k + count], bounds-checked when Numba's boundscheck is on; A, i, k (type, value).

    count is that of `lanes` (A's own dtype's by default), the vector one of A's elements.
    """
    (array_type, array), (i_type, i), (k_type, k) = A, i, k
    lanes = lanes or Lanes(array_type.dtype)
    array = context.make_array(array_type)(context, builder, array)
    i = context.cast(builder, i, i_type, types.intp)
    k = context.cast(builder, k, k_type, types.intp)
    if context.enable_boundscheck:
        end = builder.add(k, ir.Constant(k.type, lanes.count - 1))
        cgutils.get_item_pointer(context, builder, array_type, array, [i, end], wraparound=False, boundscheck=True)
    pointer = cgutils.get_item_pointer(context, builder, array_type, array, [i, k], wraparound=False,
                                       boundscheck=context.enable_boundscheck)
    return builder.bitcast(pointer, _element_vector(context, array_type, lanes).as_pointer())


def _splat(builder, vector_type, scalar):
    single = builder.insert_element(ir.Constant(vector_type, ir.Undefined), scalar, ir.IntType(32)(0))
    return builder.shuffle_vector(single, ir.Constant(vector_type, ir.Undefined),
                                  ir.Constant(ir.VectorType(ir.IntType(32), vector_type.count), [0] * vector_type.count))


def _operand(context, builder, value_type, value, lanes_type):
    """A Lanes operand as is, a scalar one broadcast to every lane."""
    if isinstance(value_type, Lanes):
        return value
    scalar = context.cast(builder, value, value_type, lanes_type.dtype)
    return _splat(builder, context.get_value_type(lanes_type), scalar)


@intrinsic
def load(typingctx, A, i, k):
    """The lanes A[i, k], A[i, k + 1], ..., A[i, k + count - 1] of a C-contiguous 2-D array A."""
    if not (_matrix(A) and _indices(i, k)):
        return None

    def codegen(context, builder, signature, args):
        typed = _typed(signature, args)
        pointer = _pointer(context, builder, typed[0], typed[1], typed[2])
        return builder.load(pointer, align=A.dtype.bitwidth // 8)

    return Lanes(A.dtype)(A, i, k), codegen


@intrinsic
def store(typingctx, A, v, i, k):
    """A[i, k:k + count] = v."""
    if not (_matrix(A) and _indices(i, k) and isinstance(v, Lanes) and v.dtype == A.dtype):
        return None

    def codegen(context, builder, signature, args):
        typed = _typed(signature, args)
        pointer = _pointer(context, builder, typed[0], typed[2], typed[3])
        builder.store(args[1], pointer, align=A.dtype.bitwidth // 8)
        return context.get_dummy_value()

    return types.void(A, v, i, k), codegen


def _below(context, builder, lanes, k_type, k, end_type, end):
    """The mask of the `lanes` lanes l with k + l < end."""
    k = context.cast(builder, k, k_type, types.intp)
    end = context.cast(builder, end, end_type, types.intp)
    integers = ir.VectorType(k.type, lanes)
    columns = builder.add(_splat(builder, integers, k), ir.Constant(integers, list(range(lanes))))
    return builder.icmp_signed("<", columns, _splat(builder, integers, end))


def _vector_pointer(context, builder, A, i, k, vector):
    """Pointer to A[i, k] as a pointer to the LLVM `vector` type, not bounds-checked (the masked accesses check their last
    lane); A, i, k (type, value)."""
    (array_type, array), (i_type, i), (k_type, k) = A, i, k
    array = context.make_array(array_type)(context, builder, array)
    i = context.cast(builder, i, i_type, types.intp)
    k = context.cast(builder, k, k_type, types.intp)
    pointer = cgutils.get_item_pointer(context, builder, array_type, array, [i, k], wraparound=False)
    return builder.bitcast(pointer, vector.as_pointer())


def _check_last(context, builder, A, i, end):
    """With Numba's boundscheck on, raise IndexError unless A[i, end - 1] is in bounds; A, i, end (type, value)."""
    (array_type, array), (i_type, i), (end_type, end) = A, i, end
    if context.enable_boundscheck:
        array = context.make_array(array_type)(context, builder, array)
        i = context.cast(builder, i, i_type, types.intp)
        last = builder.sub(context.cast(builder, end, end_type, types.intp), ir.Constant(i.type, 1))
        cgutils.get_item_pointer(context, builder, array_type, array, [i, last], wraparound=False, boundscheck=True)


def _masked(builder, name, vector_type, bitwidth, arguments):
    """Call LLVM's llvm.masked.load or llvm.masked.store on a vector of floats of `bitwidth` bits."""
    suffix = f"v{vector_type.count}f{bitwidth}.p0"
    if name == "load":
        signature = ir.FunctionType(vector_type, [arguments[0].type, ir.IntType(32), arguments[2].type, vector_type])
    else:
        signature = ir.FunctionType(ir.VoidType(), [vector_type, arguments[1].type, ir.IntType(32), arguments[3].type])
    function = cgutils.get_or_insert_function(builder.module, signature, f"llvm.masked.{name}.{suffix}")
    return builder.call(function, arguments)


@intrinsic
def load_below(typingctx, A, i, k, end):
    """load(A, i, k) with the lanes at columns end and past read as zero, and not read at all."""
    if not (_matrix(A) and _indices(i, k, end)):
        return None

    def codegen(context, builder, signature, args):
        array_type, _, k_type, end_type = signature.args
        typed = _typed(signature, args)
        _check_last(context, builder, typed[0], typed[1], typed[3])
        vector = context.get_value_type(Lanes(array_type.dtype))
        pointer = _vector_pointer(context, builder, typed[0], typed[1], typed[2], vector)
        mask = _below(context, builder, vector.count, k_type, args[2], end_type, args[3])
        align = ir.IntType(32)(array_type.dtype.bitwidth // 8)
        return _masked(builder, "load", vector, array_type.dtype.bitwidth, [pointer, align, mask, ir.Constant(vector, None)])

    return Lanes(A.dtype)(A, i, k, end), codegen


@intrinsic
def store_below(typingctx, A, v, i, k, end):
    """store(A, v, i, k) to the columns before end only."""
    if not (_matrix(A) and _indices(i, k, end) and isinstance(v, Lanes) and v.dtype == A.dtype):
        return None

    def codegen(context, builder, signature, args):
        array_type, _, _, k_type, end_type = signature.args
        typed = _typed(signature, args)
        _check_last(context, builder, typed[0], typed[2], typed[4])
        vector = context.get_value_type(Lanes(array_type.dtype))
        pointer = _vector_pointer(context, builder, typed[0], typed[2], typed[3], vector)
        mask = _below(context, builder, vector.count, k_type, args[3], end_type, args[4])
        align = ir.IntType(32)(array_type.dtype.bitwidth // 8)
        _masked(builder, "store", vector, array_type.dtype.bitwidth, [args[1], pointer, align, mask])
        return context.get_dummy_value()

    return types.void(A, v, i, k, end), codegen


def _converted(context, builder, value, from_dtype, lanes):
    """A loaded vector of `from_dtype` values as the `lanes` vector of floats: exact for 8- and 16-bit integers."""
    if from_dtype == lanes.dtype:
        return value
    vector = context.get_value_type(lanes)
    if isinstance(from_dtype, types.Integer):
        return (builder.sitofp if from_dtype.signed else builder.uitofp)(value, vector)
    return (builder.fpext if from_dtype.bitwidth < lanes.dtype.bitwidth else builder.fptrunc)(value, vector)


def _element_vector(context, array_type, lanes):
    """The LLVM type of `lanes.count` consecutive elements of the array."""
    return ir.VectorType(context.get_value_type(array_type.dtype), lanes.count)


@intrinsic
def load_as(typingctx, A, i, k, like):
    """load(A, i, k) in the float dtype of the array `like`: count(like.dtype) elements of any numeric A, converted.

    The images' pixels stay uint8 in memory, and each vector of them becomes floats as it is
    loaded: a quarter (float32) or an eighth (float64) of the memory traffic.
    """
    if not (_matrix(A, (types.Float, types.Integer)) and _indices(i, k) and _float_like(like)):
        return None
    lanes = Lanes(like.dtype)

    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        typed = _typed(signature, args)
        pointer = _pointer(context, builder, typed[0], typed[1], typed[2], lanes)
        value = builder.load(pointer, align=max(1, array_type.dtype.bitwidth // 8))
        return _converted(context, builder, value, array_type.dtype, lanes)

    return lanes(A, i, k, like), codegen


@intrinsic
def load_below_as(typingctx, A, i, k, end, like):
    """load_as(A, i, k, like) with the lanes at columns end and past read as zero, and not read at all."""
    if not (_matrix(A, (types.Float, types.Integer)) and _indices(i, k, end) and _float_like(like)):
        return None
    lanes = Lanes(like.dtype)

    def codegen(context, builder, signature, args):
        array_type, _, k_type, end_type, _ = signature.args
        typed = _typed(signature, args)
        _check_last(context, builder, typed[0], typed[1], typed[3])
        vector = _element_vector(context, array_type, lanes)
        pointer = _vector_pointer(context, builder, typed[0], typed[1], typed[2], vector)
        mask = _below(context, builder, lanes.count, k_type, args[2], end_type, args[3])
        width = array_type.dtype.bitwidth
        kind = "i" if isinstance(array_type.dtype, types.Integer) else "f"
        signature = ir.FunctionType(vector, [pointer.type, ir.IntType(32), mask.type, vector])
        function = cgutils.get_or_insert_function(
            builder.module, signature, f"llvm.masked.load.v{lanes.count}{kind}{width}.p0")
        value = builder.call(function, [pointer, ir.IntType(32)(max(1, width // 8)), mask, ir.Constant(vector, None)])
        return _converted(context, builder, value, array_type.dtype, lanes)

    return lanes(A, i, k, end, like), codegen


@intrinsic
def total(typingctx, v):
    """The sum of the lanes by a fixed tree: halves added lane by lane until one lane is left.

    Lane l meets lane l + count/2, then l + count/4, ...: rotating v by any number of lanes
    changes only the order of the two operands of each addition, so not a bit of the sum.
    """
    if not isinstance(v, Lanes):
        return None

    def codegen(context, builder, signature, args):
        value, width = args[0], v.count
        while width > 1:
            width //= 2
            low = builder.shuffle_vector(value, value, ir.Constant(ir.VectorType(ir.IntType(32), width), list(range(width))))
            high = builder.shuffle_vector(value, value, ir.Constant(ir.VectorType(ir.IntType(32), width), list(range(width, 2 * width))))
            value = builder.fadd(low, high)
        return builder.extract_element(value, ir.IntType(32)(0))

    return v.dtype(v), codegen


@intrinsic
def splat(typingctx, A, x):
    """Every lane x, in A's dtype (A a float array or Lanes)."""
    if not (_float_like(A) and isinstance(x, types.Number)):
        return None
    result = Lanes(A.dtype)

    def codegen(context, builder, signature, args):
        return _operand(context, builder, signature.args[1], args[1], result)

    return result(A, x), codegen


@intrinsic
def fma(typingctx, acc, x, v):
    """acc + x * v lane by lane, x a Lanes or a scalar for every lane: in one rounding where the CPU has FMA.

    LLVM's fmuladd: a fused multiply-add on a CPU with FMA instructions, a multiply then an add on
    one without, where a fused one would be a call to libm's fma per lane, dozens of times slower.
    """
    if not (_vectors(acc, v) and (_vectors(acc, x) or isinstance(x, types.Number))):
        return None

    def codegen(context, builder, signature, args):
        vector = context.get_value_type(acc)
        x = _operand(context, builder, signature.args[1], args[1], acc)
        function = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(vector, [vector] * 3), f"llvm.fmuladd.v{acc.count}f{acc.dtype.bitwidth}")
        return builder.call(function, [x, args[2], args[0]])

    return acc(acc, x, v), codegen


def _named(name, doc, typer):
    """The intrinsic of the typing function `typer`, called `name` (so a typing error names it) and documented by `doc`."""
    typer.__name__ = typer.__qualname__ = name
    typer.__doc__ = doc
    return intrinsic(typer)


def _binary(name, instruction, doc):
    """A lane-by-lane intrinsic applying the LLVM instruction to two Lanes of one dtype."""
    def operation(typingctx, a, b):
        if not _vectors(a, b):
            return None

        def codegen(context, builder, signature, args):
            return getattr(builder, instruction)(args[0], args[1])

        return a(a, b), codegen

    return _named(name, doc, operation)


add = _binary("add", "fadd", "a + b lane by lane.")
sub = _binary("sub", "fsub", "a - b lane by lane.")
div = _binary("div", "fdiv", "a / b lane by lane.")
mul = _binary("mul", "fmul", "a * b lane by lane.")


@intrinsic
def where_less(typingctx, a, b, x, y):
    """x where a < b, else y, lane by lane (y where either is NaN)."""
    if not (_vectors(a, b) and _vectors(x, y) and a.count == x.count):
        return None

    def codegen(context, builder, signature, args):
        return builder.select(builder.fcmp_ordered("<", args[0], args[1]), args[2], args[3])

    return x(a, b, x, y), codegen


def _unary(name, doc):
    """A lane-by-lane intrinsic calling LLVM's llvm.<name> on vectors of floats."""
    def operation(typingctx, v):
        if not isinstance(v, Lanes):
            return None

        def codegen(context, builder, signature, args):
            vector = context.get_value_type(v)
            function = cgutils.get_or_insert_function(
                builder.module, ir.FunctionType(vector, [vector]), f"llvm.{name}.v{v.count}f{v.dtype.bitwidth}")
            return builder.call(function, [args[0]])

        return v(v), codegen

    return _named(name, doc, operation)


floor = _unary("floor", "The largest integer <= v, lane by lane.")
sqrt = _unary("sqrt", "The square root, lane by lane, correctly rounded.")


@intrinsic
def any_nonzero(typingctx, a, b, c, d):
    """Whether any lane of the four vectors is nonzero; NaN counts as nonzero, -0.0 as zero."""
    if not _vectors(a, b, c, d):
        return None

    def codegen(context, builder, signature, args):
        zero = ir.Constant(args[0].type, None)
        bits = builder.fcmp_unordered("!=", args[0], zero)
        for v in args[1:]:
            bits = builder.or_(bits, builder.fcmp_unordered("!=", v, zero))
        mask = ir.IntType(a.count)
        return builder.icmp_unsigned("!=", builder.bitcast(bits, mask), ir.Constant(mask, 0))

    return types.boolean(a, b, c, d), codegen


@intrinsic
def store_nonzero_columns(typingctx, cols, n, k, a, b, c, d):
    """cols[n:n + p] = the columns k + l, l in order, of the p lanes l where one of the four vectors is nonzero (NaN counts,
    -0.0 does not); returns n + p. cols: 1-D int32 with room for count more entries past n, which it may overwrite.

    The columns compressed in a register (vpcompressd on AVX-512), then stored whole: a vector of columns costs a few
    instructions, blank or not. (LLVM's compressing store is vpcompressd to memory, microcoded on AMD's Zen 4: about
    twenty times slower there, where a register compress is as fast as an add.)
    """
    if not (isinstance(cols, types.Array) and cols.ndim == 1 and cols.dtype == types.int32 and _indices(n, k)
            and _vectors(a, b, c, d)):
        return None

    def codegen(context, builder, signature, args):
        cols_type, n_type, k_type = signature.args[:3]
        zero = ir.Constant(args[3].type, None)
        bits = builder.fcmp_unordered("!=", args[3], zero)
        for v in args[4:]:
            bits = builder.or_(bits, builder.fcmp_unordered("!=", v, zero))
        array = context.make_array(cols_type)(context, builder, args[0])
        n_value = context.cast(builder, args[1], n_type, types.intp)
        if context.enable_boundscheck:
            end = builder.add(n_value, ir.Constant(n_value.type, a.count - 1))
            cgutils.get_item_pointer(context, builder, cols_type, array, [end], wraparound=False, boundscheck=True)
        pointer = cgutils.get_item_pointer(context, builder, cols_type, array, [n_value], wraparound=False)
        integers = ir.VectorType(ir.IntType(32), a.count)
        first = builder.trunc(context.cast(builder, args[2], k_type, types.intp), ir.IntType(32))
        columns = builder.add(_splat(builder, integers, first), ir.Constant(integers, list(range(a.count))))
        function = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(integers, [integers, bits.type, integers]),
            f"llvm.experimental.vector.compress.v{a.count}i32")
        packed = builder.call(function, [columns, bits, ir.Constant(integers, ir.Undefined)])
        builder.store(packed, builder.bitcast(pointer, integers.as_pointer()), align=4)
        mask = builder.bitcast(bits, ir.IntType(a.count))
        popcount = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(mask.type, [mask.type]), f"llvm.ctpop.i{a.count}")
        p = builder.zext(builder.call(popcount, [mask]), n_value.type)
        return builder.add(n_value, p)

    return types.intp(cols, n, k, a, b, c, d), codegen


@intrinsic
def ldexp(typingctx, v, n):
    """v * 2**n lane by lane, n integral and within the normal exponents, 2**n built from its bits."""
    if not _vectors(v, n):
        return None

    def codegen(context, builder, signature, args):
        width = v.dtype.bitwidth
        bias, mantissa = (1023, 52) if width == 64 else (127, 23)
        integers = ir.VectorType(ir.IntType(width), v.count)
        exponent = builder.add(builder.fptosi(args[1], integers), _splat(builder, integers, ir.IntType(width)(bias)))
        bits = builder.shl(exponent, _splat(builder, integers, ir.IntType(width)(mantissa)))
        return builder.fmul(args[0], builder.bitcast(bits, context.get_value_type(v)))

    return v(v, n), codegen


if config.DISABLE_JIT:
    # With the JIT off (NUMBA_DISABLE_JIT=1, to debug or measure coverage) the kernels run as plain
    # Python, and these NumPy bodies stand in for the intrinsics above: slow, and equal to them up
    # to rounding (no fused multiply-add).

    def load(A, i, k):  # noqa: F811
        return A[i, k:k + count(A.dtype)].copy()

    def load_as(A, i, k, like):  # noqa: F811
        return A[i, k:k + count(like.dtype)].astype(like.dtype)

    def load_below_as(A, i, k, end, like):  # noqa: F811
        v = np.zeros(count(like.dtype), like.dtype)
        n = max(0, min(len(v), int(end) - int(k)))
        v[:n] = A[i, k:k + n]
        return v

    def store(A, v, i, k):  # noqa: F811
        A[i, k:k + len(v)] = v

    def load_below(A, i, k, end):  # noqa: F811
        v = np.zeros(count(A.dtype), A.dtype)
        n = max(0, min(len(v), int(end) - int(k)))
        v[:n] = A[i, k:k + n]
        return v

    def store_below(A, v, i, k, end):  # noqa: F811
        n = max(0, min(len(v), int(end) - int(k)))
        A[i, k:k + n] = v[:n]

    def total(v):  # noqa: F811
        while len(v) > 1:
            v = v[:len(v) // 2] + v[len(v) // 2:]
        return v[0]

    def splat(A, x):  # noqa: F811
        return np.full(count(A.dtype), x, A.dtype)

    def fma(acc, x, v):  # noqa: F811
        return (acc + x * v).astype(acc.dtype)

    def add(a, b):  # noqa: F811
        return a + b

    def sub(a, b):  # noqa: F811
        return a - b

    def div(a, b):  # noqa: F811
        return a / b

    def mul(a, b):  # noqa: F811
        return a * b

    def sqrt(v):  # noqa: F811
        return np.sqrt(v)

    def where_less(a, b, x, y):  # noqa: F811
        return np.where(a < b, x, y)

    def floor(v):  # noqa: F811
        return np.floor(v)

    def any_nonzero(a, b, c, d):  # noqa: F811
        return bool(np.any(a != 0) or np.any(b != 0) or np.any(c != 0) or np.any(d != 0))

    def store_nonzero_columns(cols, n, k, a, b, c, d):  # noqa: F811
        found = k + np.flatnonzero((a != 0) | (b != 0) | (c != 0) | (d != 0))
        cols[n:n + len(found)] = found
        return n + len(found)

    def ldexp(v, n):  # noqa: F811
        return np.ldexp(v, n.astype(np.int32))
