"""Pictures of training and results, written as PNG files with matplotlib (no display needed)."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def _save(fig, path):
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def curves(loss, accuracy, path):
    """Training loss and accuracy per iteration, side by side."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    left.plot(loss, color="tab:red")
    left.set(title="Training loss", xlabel="iteration", ylabel="cross-entropy")
    right.plot(np.asarray(accuracy) * 100, color="tab:blue")
    right.set(title="Training accuracy", xlabel="iteration", ylabel="%", ylim=(0, 100))
    for ax in (left, right):
        ax.grid(alpha=0.3)
    _save(fig, path)


def confusion(matrix, classes, path):
    """A confusion matrix: rows are true labels, columns predictions."""
    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.imshow(matrix, cmap="Blues")
    ticks = np.arange(len(classes))
    ax.set(xticks=ticks, yticks=ticks, xticklabels=classes, yticklabels=classes,
           xlabel="predicted", ylabel="true", title="Confusion matrix")
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


def misclassified(images, predicted, true, path, limit=25):
    """A grid of up to `limit` misclassified digits spread over all of them, each titled predicted/true."""
    wrong = np.flatnonzero(predicted != true)
    wrong = wrong[np.unique(np.linspace(0, len(wrong) - 1, min(limit, len(wrong))).astype(int))]
    cols = 5
    rows = max(1, -(-len(wrong) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.6, rows * 1.8), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, i in zip(axes.ravel(), wrong):
        ax.imshow(images[i].reshape(28, 28), cmap="gray")
        ax.set_title(f"{predicted[i]} (true {true[i]})", fontsize=8)
    fig.suptitle(f"Misclassified: {int(np.sum(predicted != true))} of {len(true)}")
    _save(fig, path)
