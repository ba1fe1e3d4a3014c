"""Pictures of training and results, written as PNG files with matplotlib (no display needed)."""
import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def _save(fig, path):
    """Write the figure as a PNG at `path`, atomically (`model_file.write_atomically`), and close it."""
    from .model_file import write_atomically

    fig.tight_layout()
    try:
        write_atomically(path, lambda f: fig.savefig(f, dpi=110, format="png"))
    finally:
        plt.close(fig)


def curves(loss, accuracy, path, val_loss=None, val_accuracy=None):
    """Loss and accuracy per iteration, side by side: training's, and validation's beside it when given."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    left.plot(loss, color="tab:red", label="training")
    right.plot(np.asarray(accuracy) * 100, color="tab:blue", label="training")
    if val_loss:
        left.plot(val_loss, color="tab:orange", linestyle="--", label="validation")
        right.plot(np.asarray(val_accuracy) * 100, color="tab:cyan", linestyle="--", label="validation")
    left.set(title="Loss", xlabel="iteration", ylabel="cross-entropy")
    right.set(title="Accuracy", xlabel="iteration", ylabel="%", ylim=(0, 100))
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.legend()
    _save(fig, path)


def confusion(matrix, classes, path, title="Confusion matrix"):
    """A confusion matrix: rows are true labels, columns predictions; `title` names the data and the accuracy."""
    fig, ax = plt.subplots(figsize=(5.5, 5.5))
    ax.imshow(matrix, cmap="Blues")
    ticks = np.arange(len(classes))
    ax.set(xticks=ticks, yticks=ticks, xticklabels=classes, yticklabels=classes, xlabel="predicted", ylabel="true")
    ax.set_title(textwrap.fill(title, 55), fontsize=9)
    top = matrix.max() if matrix.size else 0
    for (i, j), n in np.ndenumerate(matrix):
        ax.text(j, i, str(n), ha="center", va="center", fontsize=7, color="white" if n > top / 2 else "black")
    _save(fig, path)


def digit(image, predicted, true, path):
    """One 28×28 digit with its predicted and true label, the seed's test_prediction."""
    fig, ax = plt.subplots(figsize=(3, 3.3))
    ax.imshow(np.asarray(image).reshape(28, 28), cmap="gray")
    ax.set_title(f"predicted {predicted}" + ("" if true is None else f", true {true}"))
    ax.axis("off")
    _save(fig, path)


def misclassified(images, predicted, true, path, index=None, limit=25):
    """A grid of up to `limit` misclassified digits spread over all of them.

    Each is titled with its number in the data (index[i], for `show --index`; i without index),
    its true label and the prediction.
    """
    index = np.arange(len(true)) if index is None else np.asarray(index)
    wrong = np.flatnonzero(predicted != true)
    wrong = wrong[np.unique(np.linspace(0, len(wrong) - 1, min(limit, len(wrong))).astype(int))]
    cols = 5
    rows = max(1, -(-len(wrong) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.7, rows * 1.9), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, i in zip(axes.ravel(), wrong):
        ax.imshow(images[i].reshape(28, 28), cmap="gray")
        ax.set_title(f"#{index[i]}: true {true[i]}\npredicted {predicted[i]}", fontsize=7)
    total = int(np.sum(predicted != true))
    shown = "" if len(wrong) == total else f", {len(wrong)} of them shown"
    fig.suptitle(f"Misclassified: {total} of {len(true)}{shown} (#: --index for show)")
    _save(fig, path)
