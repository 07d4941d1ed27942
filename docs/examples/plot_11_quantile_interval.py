"""
A prediction interval from one quantile model
=============================================

The squared error teaches a network the conditional mean; the pinball
(quantile) loss teaches it a conditional quantile. With
``loss="quantile"`` and several levels, ``MLPRegressorNB`` has one output
per level, so a single fit gives the median and the bounds of a prediction
interval. scikit-learn's MLPRegressor has no such loss (issue #14571).

The data are synthetic and heteroscedastic: the noise grows with ``|x|``,
so a good interval widens where the data are noisier, which a constant
band around a mean prediction cannot do.
"""

# %%
# Data
# ----
# ``y = x sin(x) + noise`` whose standard deviation grows linearly with
# ``|x|``. Since the noise is Gaussian, the true 5% and 95% quantiles are
# the curve plus or minus 1.645 standard deviations.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import mean_pinball_loss

from skmlp import MLPRegressorNB

rng = np.random.RandomState(0)


def sample(n):
    x = rng.uniform(-4, 4, n)
    sd = 0.2 + 0.35 * np.abs(x)
    return x[:, None], x * np.sin(x) + sd * rng.standard_normal(n)


X_train, y_train = sample(4000)
X_test, y_test = sample(2000)

# %%
# One model, three levels
# -----------------------
# ``quantile=(0.05, 0.5, 0.95)``: ``predict`` returns three columns in that
# order. The pinball gradient keeps its size at the optimum, so a decaying
# learning rate (``learning_rate_schedule="cosine"``) lets each level settle;
# ``n_iter_no_change=max_iter`` lets the schedule run its course.
levels = (0.05, 0.5, 0.95)
reg = MLPRegressorNB(loss="quantile", quantile=levels, hidden_layer_sizes=(64, 64),
                     learning_rate_init=0.01, learning_rate_schedule="cosine",
                     max_iter=80, n_iter_no_change=80, random_state=0)
with warnings.catch_warnings():
    # ending at max_iter is the plan here, not a failure to converge
    warnings.simplefilter("ignore", ConvergenceWarning)
    reg.fit(X_train, y_train)
low, median, high = reg.predict(X_test).T

# %%
# Coverage on held-out data
# -------------------------
# Each level should have about that share of the test targets below it, and
# the 90% interval should hold about 90% of them. The pinball loss of each
# column is the metric to compare such models by (R², what ``score``
# returns, rewards the mean).
for q, column in zip(levels, (low, median, high)):
    print(f"level {q:.2f}: {np.mean(y_test < column):.1%} of the targets below, "
          f"pinball loss {mean_pinball_loss(y_test, column, alpha=q):.3f}")
inside = np.mean((low <= y_test) & (y_test <= high))
print(f"90% interval: {inside:.1%} of the held-out targets inside")

# %%
# The interval
# ------------
# The band follows the noise: narrow near zero, wide at the edges, close to
# the true quantiles (dashed).
order = np.argsort(X_test[:, 0])
x = X_test[order, 0]
sd = 0.2 + 0.35 * np.abs(x)
fig, ax = plt.subplots(figsize=(7, 4.2))
ax.scatter(X_test[:, 0], y_test, s=4, alpha=0.25, color="0.4", label="held-out data")
ax.fill_between(x, low[order], high[order], alpha=0.3, color="C0",
                label="predicted 5%-95%")
ax.plot(x, median[order], color="C0", label="predicted median")
ax.plot(x, x * np.sin(x) - 1.645 * sd, "k--", lw=1, label="true 5% and 95%")
ax.plot(x, x * np.sin(x) + 1.645 * sd, "k--", lw=1)
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.set_title(f"One MLPRegressorNB, three quantile levels ({inside:.0%} inside)")
ax.legend(loc="lower center", fontsize=8, ncol=2)
fig.tight_layout()
plt.show()
