"""Plain NumPy, written from the math for clarity and never for speed: what every kernel is held to.

Two parts. First, one function per kernel, named like it and taking the same sample-major
arguments (one image per row). Second, the seed's trainer as its README writes it (one image per
column), which the drop-in functions must reproduce.
"""
import numpy as np


# Kernels' twins, one image per row.

def matmul_bias(X, W, b):
    return X @ W.T + b


def relu(z):
    return np.maximum(z, 0)


def relu_mask(z):
    return z > 0


def softmax_rows(Z):
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def cross_entropy_logits(Z, Y):
    top = Z.max(axis=1)
    logsumexp = np.log(np.exp(Z - top[:, None]).sum(axis=1)) + top
    return np.mean(logsumexp - Z[np.arange(len(Y)), Y])


def one_hot_rows(Y, c):
    return np.eye(c)[Y]


def output_delta(A, Y):
    return A - one_hot_rows(Y, A.shape[1]).astype(A.dtype)


def hidden_delta(dZ, W, Z):
    return (dZ @ W) * (Z > 0)


def weight_grad(dZ, A, scale):
    return scale * (dZ.T @ A), scale * dZ.sum(axis=0)


def sgd_update(p, grad, alpha):
    return p - alpha * grad


def argmax_rows(A):
    return np.argmax(A, axis=1)


def count_equal(a, b):
    return int(np.sum(a == b))


def nonzero_spans(X):
    """Per row: first nonzero column and one past the last, or (d, 0) for a row of zeros."""
    m, d = X.shape
    spans = np.tile(np.array([d, 0], np.uint64), (m, 1))
    for i, row in enumerate(X):
        columns = np.flatnonzero(row)
        if columns.size:
            spans[i] = columns[0], columns[-1] + 1
    return spans


def tile_order(spans, chunk):
    """Each chunk of `chunk` rows sorted, stably, by where the rows' nonzero spans start."""
    m = len(spans)
    return np.array([r for start in range(0, m, chunk) for r in sorted(range(start, min(m, start + chunk)), key=lambda r: spans[r, 0])], np.int64)


def fused_step(X, Y, W1, b1, W2, b2):
    """The gradients, summed loss and correct count of one full-batch pass, from the twins above."""
    m = X.shape[0]
    Z1 = matmul_bias(X, W1, b1)
    A1 = relu(Z1)
    Z2 = matmul_bias(A1, W2, b2)
    A2 = softmax_rows(Z2)
    dZ2 = output_delta(A2, Y)
    dW2, db2 = weight_grad(dZ2, A1, 1.0 / m)
    dZ1 = hidden_delta(dZ2, W2, Z1)
    dW1, db1 = weight_grad(dZ1, X, 1.0 / m)
    loss = cross_entropy_logits(Z2, Y) * m
    correct = count_equal(argmax_rows(Z2), Y)
    return (dW1, db1, dW2, db2), loss, correct


# The seed's trainer, one image per column, as its README writes it.

def init_params():
    W1 = np.random.rand(10, 784) - 0.5
    b1 = np.random.rand(10, 1) - 0.5
    W2 = np.random.rand(10, 10) - 0.5
    b2 = np.random.rand(10, 1) - 0.5
    return W1, b1, W2, b2


def ReLU(Z):
    return np.maximum(Z, 0)


def ReLU_deriv(Z):
    return Z > 0


def softmax(Z):
    return np.exp(Z) / np.sum(np.exp(Z), axis=0)


def forward_prop(W1, b1, W2, b2, X):
    Z1 = W1.dot(X) + b1
    A1 = ReLU(Z1)
    Z2 = W2.dot(A1) + b2
    A2 = softmax(Z2)
    return Z1, A1, Z2, A2


def one_hot(Y):
    one_hot_Y = np.zeros((Y.size, Y.max() + 1))
    one_hot_Y[np.arange(Y.size), Y] = 1
    return one_hot_Y.T


def backward_prop(Z1, A1, Z2, A2, W1, W2, X, Y):
    m = X.shape[1]
    one_hot_Y = one_hot(Y)
    dZ2 = A2 - one_hot_Y
    dW2 = 1 / m * dZ2.dot(A1.T)
    db2 = 1 / m * np.sum(dZ2, axis=1, keepdims=True)
    dZ1 = W2.T.dot(dZ2) * ReLU_deriv(Z1)
    dW1 = 1 / m * dZ1.dot(X.T)
    db1 = 1 / m * np.sum(dZ1, axis=1, keepdims=True)
    return dW1, db1, dW2, db2


def update_params(W1, b1, W2, b2, dW1, db1, dW2, db2, alpha):
    W1 = W1 - alpha * dW1
    b1 = b1 - alpha * db1
    W2 = W2 - alpha * dW2
    b2 = b2 - alpha * db2
    return W1, b1, W2, b2


def get_predictions(A2):
    return np.argmax(A2, 0)


def get_accuracy(predictions, Y):
    return np.sum(predictions == Y) / Y.size


def gradient_descent(X, Y, alpha, iterations):
    W1, b1, W2, b2 = init_params()
    for i in range(iterations):
        Z1, A1, Z2, A2 = forward_prop(W1, b1, W2, b2, X)
        dW1, db1, dW2, db2 = backward_prop(Z1, A1, Z2, A2, W1, W2, X, Y)
        W1, b1, W2, b2 = update_params(W1, b1, W2, b2, dW1, db1, dW2, db2, alpha)
    return W1, b1, W2, b2


def make_predictions(X, W1, b1, W2, b2):
    _, _, _, A2 = forward_prop(W1, b1, W2, b2, X)
    return get_predictions(A2)


def evaluate(X, Y, W1, b1, W2, b2):
    return get_accuracy(make_predictions(X, W1, b1, W2, b2), Y)


def layered_epoch(X, Y, layers, order, batch, alpha):
    """One epoch of mini-batch gradient descent on ReLU layers and a softmax output, one image per row.

    layers: (W (n_out, n_in), b (n_out,)) pairs, not changed; batches are the slices of `order`.
    Returns the new layers and the summed loss and correct count of the epoch's forward passes.
    """
    layers = [(W.copy(), b.copy()) for W, b in layers]
    total_loss, total_correct = 0.0, 0
    for start in range(0, len(order), batch):
        rows = order[start:start + batch]
        y = Y[rows]
        A = [X[rows]]
        for index, (W, b) in enumerate(layers):
            Z = matmul_bias(A[-1], W, b)
            A.append(relu(Z) if index < len(layers) - 1 else Z)
        Z = A.pop()
        total_loss += cross_entropy_logits(Z, y) * len(rows)
        total_correct += count_equal(argmax_rows(Z), y)
        dZ = output_delta(softmax_rows(Z), y) / len(rows)
        for index in range(len(layers) - 1, -1, -1):
            W, b = layers[index]
            dW, db = weight_grad(dZ, A[index], 1.0)
            if index > 0:
                dZ = hidden_delta(dZ, W, A[index])
            layers[index] = (sgd_update(W, dW, alpha), sgd_update(b, db, alpha))
    return layers, total_loss, total_correct


def tile_members(X, rows, tile):
    """The positions t of `rows` whose image X[rows[t]] has a nonzero among the inputs tile*4 .. tile*4 + 3."""
    return [t for t, i in enumerate(rows) if np.any(X[i, 4 * tile:4 * tile + 4] != 0)]


# The mini-batch stages' twins, one image per row. A layer is a block Wt (n_in + 1, P): rows of weights from each
# input to the P outputs, the biases last.

HIDDEN = {"relu": (lambda z: np.maximum(z, 0), lambda a: (a > 0).astype(a.dtype)),
          "tanh": (np.tanh, lambda a: 1 - a * a),
          "logistic": (lambda z: 1 / (1 + np.exp(-z)), lambda a: a * (1 - a)),
          "identity": (lambda z: z, np.ones_like)}
"""scikit-learn's hidden activations: (f(z), f' written from a = f(z))."""


def affine(A, Wt, activation="none", below=None, kind="relu"):
    """A[:, :n_in] @ Wt[:n_in] + Wt[n_in], then the hidden activation `kind` ("hidden") or times its derivative at the
    activations below ("derivative")."""
    n_in = Wt.shape[0] - 1
    Z = A[:, :n_in] @ Wt[:n_in] + Wt[n_in]
    f, derivative = HIDDEN[kind]
    if activation == "hidden":
        with np.errstate(over="ignore"):
            return f(Z)
    if activation == "derivative":
        return Z * derivative(below)
    return Z


def softmax_head(Z, c, y, inv_m):
    """(per-row cross-entropy, per-row correct, inv_m · (softmax - onehot) padded with zeros to Z's width)."""
    logits = Z[:, :c]
    loss = np.log(np.exp(logits - logits.max(axis=1, keepdims=True)).sum(axis=1)) + logits.max(axis=1) - logits[np.arange(len(y)), y]
    dZ = np.zeros_like(Z)
    dZ[:, :c] = inv_m * output_delta(softmax_rows(logits), y)
    return loss, np.argmax(logits, axis=1) == y, dZ


def layer_gradient(A, dZ, n_in):
    """The gradient of a block (n_in + 1, P): Σ_t A[t, :n_in] ⊗ dZ[t] in its rows of weights, Σ_t dZ[t] in its bias row."""
    return np.vstack([A[:, :n_in].T @ dZ, dZ.sum(axis=0, keepdims=True)])


def nonzero_tiles(A):
    """Per row, bit κ % 64 of word κ // 64 set when A[i, 4κ:4κ+4] holds a nonzero."""
    m, n_in = A.shape
    tiles = -(-n_in // 4)
    out = np.zeros((m, -(-tiles // 64)), np.uint64)
    for i in range(m):
        for tile in range(tiles):
            if np.any(A[i, 4 * tile:4 * tile + 4] != 0):
                out[i, tile // 64] |= np.uint64(1) << np.uint64(tile % 64)
    return out
