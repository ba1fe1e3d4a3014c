"""ONNX export of a fitted MLPClassifier, through skl2onnx: `import scratchnet_fast.onnx`, then `skl2onnx.to_onnx`.

Importing this module registers our estimator's shape calculator and converter with skl2onnx, so
that `skl2onnx.to_onnx(model, X[:1])`, and the conversion of a Pipeline holding the model, work as
for scikit-learn's own estimators, with their classifier options (`{"zipmap": False}` gives the
probabilities as one tensor, `{"nocl": True}` class indices for labels). The graph is the network as `predict_proba` computes it: X cast to the input's float
type (float64 input: double, else float), times `input_scale` where one is set, each layer a MatMul
by `coefs_[i]` and an Add of `intercepts_[i]`, the hidden activation between them, a softmax over
every output (for two classes the one logistic output p, as the probabilities 1 - p and p), and the
label of the largest. A multilabel model is refused (a TypeError). Needs the optional extra: `pip install 'scratchnet-fast[onnx]'`.
"""
import numpy as np

try:
    from skl2onnx import update_registered_converter
    from skl2onnx.common._apply_operation import apply_cast, apply_mul, apply_reshape
    from skl2onnx.common.data_types import (DoubleTensorType, FloatTensorType, Int64TensorType, UInt8TensorType,
                                            guess_proto_type)
    from skl2onnx.common.shape_calculator import _calculate_linear_classifier_output_shapes
    from skl2onnx.common.utils import check_input_and_output_types
    from skl2onnx.proto import onnx_proto
except ImportError as error:  # pragma: no cover - the message is the point
    raise ImportError("ONNX export needs skl2onnx: pip install 'scratchnet-fast[onnx]'") from error

from ._estimator import MLPClassifier

ALIAS = "ScratchnetFastMLPClassifier"


def _constant(scope, container, name, proto, values, shape=None):
    """The name of a new initializer holding `values` (of the proto type's dtype)."""
    unique = scope.get_unique_variable_name(name)
    values = np.asarray(values)
    container.add_initializer(unique, proto, list(values.shape if shape is None else shape), values.ravel().tolist())
    return unique


def _node(scope, container, op, inputs, name, **attributes):
    """The name of the output of a new node `op` on `inputs`."""
    output = scope.get_unique_variable_name(name)
    container.add_node(op, inputs, output, name=scope.get_unique_operator_name(op), **attributes)
    return output


def _labels(classes):
    """(ONNX type, values) of the class labels: integers (and bools, and floats, as skl2onnx's converters give them)
    as int64, anything else as UTF-8 strings."""
    if classes.dtype == np.bool_ or np.issubdtype(classes.dtype, np.number):
        return onnx_proto.TensorProto.INT64, classes.astype(np.int64)
    return onnx_proto.TensorProto.STRING, np.array([str(c).encode("utf-8") for c in classes])


def shapes(operator):
    """skl2onnx shape calculator: a classifier's (label, probabilities) from floats, int64, or uint8 pixels."""
    check_input_and_output_types(
        operator, good_input_types=[FloatTensorType, DoubleTensorType, Int64TensorType, UInt8TensorType])
    _calculate_linear_classifier_output_shapes(operator, enable_type_checking=False)


ONNX_ACTIVATIONS = {"relu": "Relu", "tanh": "Tanh", "logistic": "Sigmoid"}  # the hidden layers' ONNX operators


def convert(scope, operator, container):
    """skl2onnx converter: the fitted model `operator.raw_operator` as ONNX nodes from its input to (label, probabilities)."""
    model = operator.raw_operator
    if model.out_activation_ == "logistic" and model.n_outputs_ > 1:
        raise TypeError("ONNX export is for classifiers of labels, not of multilabel indicators")
    proto = guess_proto_type(operator.inputs[0].type)
    if proto != onnx_proto.TensorProto.DOUBLE:
        proto = onnx_proto.TensorProto.FLOAT
    dtype = np.float64 if proto == onnx_proto.TensorProto.DOUBLE else np.float32
    A = scope.get_unique_variable_name("cast_input")
    apply_cast(scope, operator.inputs[0].full_name, A, container, to=proto)
    if model.input_scale is not None:
        scaled = scope.get_unique_variable_name("scaled_input")
        apply_mul(scope, [A, _constant(scope, container, "input_scale", proto, np.array([model.input_scale], dtype))],
                  scaled, container, broadcast=1)
        A = scaled
    last = len(model.coefs_) - 1
    for index, (W, b) in enumerate(zip(model.coefs_, model.intercepts_)):
        Z = _node(scope, container, "MatMul", [A, _constant(scope, container, "coefficient", proto, W.astype(dtype))],
                  "mul_result")
        Z = _node(scope, container, "Add", [Z, _constant(scope, container, "intercepts", proto, b.astype(dtype),
                                                         (1, len(b)))], "add_result")
        if index < last and model.activation != "identity":
            A = _node(scope, container, ONNX_ACTIVATIONS[model.activation], [Z], "next_activations")
        else:
            A = Z
    if model.out_activation_ == "logistic":  # two classes: p of the second, beside 1 - p
        p = _node(scope, container, "Sigmoid", [A], "probability")
        q = _node(scope, container, "Sub", [_constant(scope, container, "one", proto, np.ones(1, dtype), (1, 1)), p],
                  "complement")
        container.add_node("Concat", [q, p], operator.outputs[1].full_name, axis=1,
                           name=scope.get_unique_operator_name("Concat"))
    else:
        container.add_node("Softmax", [A], operator.outputs[1].full_name, axis=1,
                           name=scope.get_unique_operator_name("Softmax"))
    nocl = container.get_options(model, dict(nocl=False))["nocl"]  # skl2onnx's option: class indices for labels
    kind, labels = _labels(np.arange(len(model.classes_)) if nocl else model.classes_)
    best = _node(scope, container, "ArgMax", [operator.outputs[1].full_name], "argmax_output", axis=1)
    picked = scope.get_unique_variable_name("labels")
    container.add_node("ArrayFeatureExtractor", [_constant(scope, container, "classes", kind, labels), best], picked,
                       op_domain="ai.onnx.ml", name=scope.get_unique_operator_name("ArrayFeatureExtractor"))
    apply_reshape(scope, picked, operator.outputs[0].full_name, container, desired_shape=(-1,))


update_registered_converter(MLPClassifier, ALIAS, shapes, convert,
                            options={"zipmap": [True, False, "columns"], "nocl": [False, True]})
