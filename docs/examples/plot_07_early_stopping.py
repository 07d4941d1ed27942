"""
Early stopping and the loss curve
=================================

Trained long enough, a network fits its training data ever more closely,
noise included, while its accuracy on new data stalls or falls: it overfits.
*Early stopping* holds out part of the training data (``validation_fraction``),
scores it after every epoch, and stops when the score has not improved by
``tol`` for ``n_iter_no_change`` epochs; the weights of the best epoch are
restored.

The fitted attributes tell the story: ``loss_curve_`` is the training loss per
epoch, ``validation_scores_`` the held-out accuracy per epoch, and ``n_iter_``
the number of epochs run.
"""

# %%
# Data with noisy labels
# ----------------------
# scikit-learn's digits, with a fifth of the training labels replaced by
# random digits (the test labels stay clean). A wide network with almost no
# L2 penalty can memorise the wrong labels, given enough epochs.
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skmlp import MLPClassifierNB

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0)
rng = np.random.RandomState(0)
noisy = rng.rand(len(y_train)) < 0.2
y_train = y_train.copy()
y_train[noisy] = rng.randint(0, 10, noisy.sum())
print(f"{noisy.sum()} of {len(y_train)} training labels replaced at random")

scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
params = dict(hidden_layer_sizes=(256,), alpha=1e-6, learning_rate_init=1e-3,
              random_state=0)

# %%
# Without early stopping: watch the test accuracy
# -----------------------------------------------
# One ``partial_fit`` call is one epoch (skmlp continues one shuffling stream
# across calls, so 150 calls train like ``fit(max_iter=150)`` without the
# stopping rule); the test accuracy is recorded every third epoch.
EPOCHS = 150
plain = MLPClassifierNB(**params)
scored_epochs, test_accuracy = [], []
for epoch in range(1, EPOCHS + 1):
    plain.partial_fit(X_train, y_train, classes=np.arange(10))
    if epoch % 3 == 0:
        scored_epochs.append(epoch)
        test_accuracy.append(plain.score(X_test, y_test))
peak = int(np.argmax(test_accuracy))
print(f"without early stopping: {EPOCHS} epochs, test accuracy "
      f"{test_accuracy[-1]:.4f} (it peaked at {test_accuracy[peak]:.4f} "
      f"around epoch {scored_epochs[peak]})")

# %%
# With early stopping
# -------------------
# 15% of the training data is held out for validation; training stops ten
# epochs after the best validation accuracy and keeps the best epoch's weights.
early = MLPClassifierNB(early_stopping=True, validation_fraction=0.15,
                        n_iter_no_change=10, max_iter=EPOCHS, **params)
early.fit(X_train, y_train)
best_epoch = int(np.argmax(early.validation_scores_)) + 1
print(f"with early stopping: {early.n_iter_} epochs, best validation accuracy "
      f"{early.best_validation_score_:.4f} at epoch {best_epoch}, "
      f"test accuracy {early.score(X_test, y_test):.4f}")

# %%
# The curves
# ----------
# The training loss keeps falling as the network memorises the noisy labels;
# the test accuracy of the plain fit peaks early and then declines. The
# validation accuracy that early stopping watches finds the peak from the
# training data alone. It sits lower than the test accuracy because its labels
# come from the noisy training labels (about a fifth of them are wrong, so no
# model can score much above 0.8 on them); what matters is where it peaks.
import matplotlib.pyplot as plt

fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4))
ax_loss.plot(np.arange(1, EPOCHS + 1), plain.loss_curve_,
             label="without early stopping")
ax_loss.plot(np.arange(1, early.n_iter_ + 1), early.loss_curve_,
             label="with early stopping")
ax_loss.set_yscale("log")
ax_loss.set_xlabel("epoch")
ax_loss.set_ylabel("training loss (loss_curve_)")
ax_loss.legend()

ax_acc.plot(scored_epochs, test_accuracy, label="test accuracy, no early stopping")
ax_acc.plot(np.arange(1, early.n_iter_ + 1), early.validation_scores_,
            label="validation_scores_ (early stopping)")
ax_acc.axvline(best_epoch, color="0.5", ls="--", label=f"best epoch ({best_epoch})")
ax_acc.set_xscale("log")
ax_acc.set_xlabel("epoch")
ax_acc.set_ylabel("accuracy")
ax_acc.legend(loc="lower right")
fig.tight_layout()

# %%
# With ``early_stopping=True`` the validation split is stratified by class
# (skmlp does this for binary and multiclass targets, see the user guide's
# table of differences), and ``best_loss_`` is ``None`` because the stopping
# rule watches the validation score instead of the training loss.
print("best_loss_ with early stopping:", early.best_loss_)
