"""The fused training step: forward, loss, backward and all gradients in one pass over the images."""
import numpy as np
from numba import prange

from .config import chunking, kernel
from .kernels import sum_chunks


@kernel
def fused_step(X, Y, W1, b1, W2, b2, scale, part_W1, part_b1, part_W2, part_b2, dW1, db1, dW2, db2):
    """Gradients of the mean softmax cross-entropy of ReLU(X W1ᵀ + b1) W2ᵀ + b2, in one pass.

    X (m, d), Y (m,), W1 (h, d), b1 (h,), W2 (c, h), b2 (c,); part_* hold one gradient per chunk
    (chunking(m) of them); writes dW1 (h, d), db1 (h,), dW2 (c, h), db2 (c,) scaled by `scale`
    (1/m for the mean) and returns (summed loss, number of correct predictions) of this forward pass.
    """
    m, d = X.shape
    h = W1.shape[0]
    c = W2.shape[0]
    n_chunks, size = chunking(m)
    zero = X.dtype.type(0)
    one = X.dtype.type(1)
    loss_parts = np.zeros(n_chunks, X.dtype)
    correct_parts = np.zeros(n_chunks, np.int64)
    for ch in prange(n_chunks):
        gW1 = part_W1[ch]
        gb1 = part_b1[ch]
        gW2 = part_W2[ch]
        gb2 = part_b2[ch]
        gW1[:] = zero
        gb1[:] = zero
        gW2[:] = zero
        gb2[:] = zero
        z1 = np.empty(h, X.dtype)
        a1 = np.empty(h, X.dtype)
        a2 = np.empty(c, X.dtype)
        loss = zero
        correct = 0
        for i in range(ch * size, min(m, (ch + 1) * size)):
            x = X[i]
            for j in range(h):
                acc = zero
                for k in range(d):
                    acc += W1[j, k] * x[k]
                z1[j] = acc + b1[j]
                a1[j] = zero if z1[j] < zero else z1[j]
            best = 0
            for j in range(c):
                acc = zero
                for k in range(h):
                    acc += W2[j, k] * a1[k]
                a2[j] = acc + b2[j]
                if a2[j] > a2[best]:
                    best = j
            y = Y[i]
            top = a2[best]
            margin = a2[y] - top
            total = zero
            for j in range(c):
                a2[j] = np.exp(a2[j] - top)
                total += a2[j]
            loss += np.log(total) - margin
            correct += best == y
            for j in range(c):
                a2[j] /= total
            a2[y] -= one
            for j in range(c):
                gb2[j] += a2[j]
                for k in range(h):
                    gW2[j, k] += a2[j] * a1[k]
            for j in range(h):
                acc = zero
                for k in range(c):
                    acc += W2[k, j] * a2[k]
                g = acc if z1[j] > zero else zero
                gb1[j] += g
                for k in range(d):
                    gW1[j, k] += g * x[k]
        loss_parts[ch] = loss
        correct_parts[ch] = correct
    sum_chunks(part_W1.reshape((n_chunks, h * d)), scale, dW1.reshape(h * d))
    sum_chunks(part_b1, scale, db1)
    sum_chunks(part_W2.reshape((n_chunks, c * h)), scale, dW2.reshape(c * h))
    sum_chunks(part_b2, scale, db2)
    total_loss = zero
    total_correct = 0
    for ch in range(n_chunks):
        total_loss += loss_parts[ch]
        total_correct += correct_parts[ch]
    return total_loss, total_correct
