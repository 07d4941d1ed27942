"""Learning-rate schedules for the stochastic solvers (plain Python, once per epoch).

The engine takes one learning rate per epoch call, so a schedule is a rule
mapping what happened so far to the next epoch's rate. Two sources of rules:

- scikit-learn's ``learning_rate`` parameter ('constant', 'invscaling',
  'adaptive', for sgd only; adam ignores it), kept exactly by
  :class:`SklearnRule` so that a scikit-learn script behaves as before;
- skmlp's ``learning_rate_schedule`` parameter: a :class:`Schedule` object (or
  its name), for adam and sgd alike.

Schedule objects hold only their settings (they are estimator parameters and
must survive ``clone``); the running state of a fit lives in the estimator.
"""

import math
from numbers import Integral, Real


class Schedule:
    """Base class of skmlp's learning-rate schedules.

    A schedule maps the number of epochs trained so far (and, for
    :class:`ReduceLROnPlateau`, the monitored value) to the learning rate of
    the next epoch, starting from ``learning_rate_init``.
    """

    def __init_subclass__(cls, **kwargs):
        # Overrides keep the base class's documentation (one text, not four).
        super().__init_subclass__(**kwargs)
        for name in ("start", "validate", "next_rate"):
            method = cls.__dict__.get(name)
            if method is not None and method.__doc__ is None:
                method.__doc__ = getattr(Schedule, name).__doc__

    def start(self, lr0, max_iter):
        """The initial running state of a fit.

        Parameters
        ----------
        lr0 : float
            The estimator's ``learning_rate_init``.
        max_iter : int
            The estimator's ``max_iter``.

        Returns
        -------
        state : dict
            Running state, owned by the estimator and passed to
            :meth:`next_rate`.
        """
        return {"lr0": float(lr0), "max_iter": int(max_iter), "epochs": 0}

    def validate(self):
        """Check the settings; raise ValueError naming one that is out of range."""

    def next_rate(self, state, epoch, metric):
        """Learning rate of the next epoch.

        Parameters
        ----------
        state : dict
            Running state from :meth:`start` (updated in place by stateful
            schedules).
        epoch : int
            Epochs trained since the schedule started.
        metric : float
            Monitored value of the last epoch, lower is better.

        Returns
        -------
        lr : float
            The learning rate.
        """
        raise NotImplementedError

    def _check(self, name, value, low, high=None, integer=False, closed_low=False,
               closed_high=True):
        kind = Integral if integer else Real
        ok = isinstance(value, kind) and not isinstance(value, bool)
        ok = ok and (value >= low if closed_low else value > low)
        ok = ok and (high is None or (value <= high if closed_high else value < high))
        if not ok:
            hi = "" if high is None else f" and {'<=' if closed_high else '<'} {high}"
            raise ValueError(
                f"{type(self).__name__}: {name} must be a number "
                f"{'>=' if closed_low else '>'} {low}{hi}; got {value!r}."
            )

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other):
        return type(self) is type(other) and vars(self) == vars(other)

    def __hash__(self):
        return hash((type(self).__name__, tuple(sorted(vars(self).items()))))


class ExponentialDecay(Schedule):
    """``lr = learning_rate_init * gamma ** epoch``.

    Parameters
    ----------
    gamma : float, default=0.95
        Factor per epoch, in (0, 1].
    """

    def __init__(self, gamma=0.95):
        self.gamma = gamma

    def validate(self):
        self._check("gamma", self.gamma, 0.0, 1.0)

    def next_rate(self, state, epoch, metric):
        return state["lr0"] * self.gamma**epoch


class StepDecay(Schedule):
    """``lr = learning_rate_init * gamma ** (epoch // step_size)``.

    Parameters
    ----------
    step_size : int, default=10
        Epochs between two reductions.
    gamma : float, default=0.1
        Factor applied at each reduction, in (0, 1].
    """

    def __init__(self, step_size=10, gamma=0.1):
        self.step_size = step_size
        self.gamma = gamma

    def validate(self):
        self._check("step_size", self.step_size, 1, integer=True, closed_low=True)
        self._check("gamma", self.gamma, 0.0, 1.0)

    def next_rate(self, state, epoch, metric):
        return state["lr0"] * self.gamma ** (epoch // self.step_size)


class CosineAnnealing(Schedule):
    """Cosine annealing from ``learning_rate_init`` to ``eta_min`` over ``T_max`` epochs.

    ``lr = eta_min + (learning_rate_init - eta_min) * (1 + cos(pi * e / T_max)) / 2``
    with ``e = min(epoch, T_max)``.

    Parameters
    ----------
    T_max : int or None, default=None
        Epochs of the descent; None uses ``max_iter``.
    eta_min : float, default=0.0
        Final learning rate.
    """

    def __init__(self, T_max=None, eta_min=0.0):
        self.T_max = T_max
        self.eta_min = eta_min

    def validate(self):
        if self.T_max is not None:
            self._check("T_max", self.T_max, 1, integer=True, closed_low=True)
        self._check("eta_min", self.eta_min, 0.0, closed_low=True)

    def next_rate(self, state, epoch, metric):
        t_max = state["max_iter"] if self.T_max is None else self.T_max
        e = min(epoch, t_max)
        lr0 = state["lr0"]
        return self.eta_min + (lr0 - self.eta_min) * (1 + math.cos(math.pi * e / t_max)) / 2


class ReduceLROnPlateau(Schedule):
    """Multiply the rate by ``factor`` when the monitored value stops improving.

    The monitored value is the validation loss when validation data is
    available (``early_stopping=True`` or ``X_val``), else the training loss.
    Keep ``n_iter_no_change`` larger than ``patience``, or training stops
    before the rate is ever reduced.

    Parameters
    ----------
    factor : float, default=0.1
        Factor applied at each reduction, in (0, 1).
    patience : int, default=5
        Epochs without an improvement of more than ``threshold`` (relative)
        before a reduction.
    threshold : float, default=1e-4
        Relative improvement that counts.
    min_lr : float, default=0.0
        The rate never goes below this.
    """

    def __init__(self, factor=0.1, patience=5, threshold=1e-4, min_lr=0.0):
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.min_lr = min_lr

    def start(self, lr0, max_iter):
        state = super().start(lr0, max_iter)
        state.update(lr=float(lr0), best=math.inf, wait=0)
        return state

    def validate(self):
        self._check("factor", self.factor, 0.0, 1.0, closed_high=False)
        self._check("patience", self.patience, 0, integer=True, closed_low=True)
        self._check("threshold", self.threshold, 0.0, closed_low=True)
        self._check("min_lr", self.min_lr, 0.0, closed_low=True)

    def next_rate(self, state, epoch, metric):
        if metric < state["best"] * (1.0 - self.threshold):
            state["best"] = metric
            state["wait"] = 0
        else:
            state["wait"] += 1
            if state["wait"] > self.patience:
                state["lr"] = max(state["lr"] * self.factor, self.min_lr)
                state["wait"] = 0
        return state["lr"]


SCHEDULES = {
    "exponential": ExponentialDecay,
    "step": StepDecay,
    "cosine": CosineAnnealing,
    "plateau": ReduceLROnPlateau,
}
SCHEDULE_NAMES = tuple(SCHEDULES)


def resolve(schedule):
    """A :class:`Schedule` object (or None) from the parameter's value."""
    if isinstance(schedule, str):
        return SCHEDULES[schedule]()
    return schedule


class SklearnRule:
    """The learning-rate rule of one fit: scikit-learn's, or a skmlp schedule.

    Parameters
    ----------
    estimator : BaseMultilayerPerceptronNB
        Supplies ``solver``, ``learning_rate``, ``learning_rate_init``,
        ``power_t``, ``max_iter`` and ``learning_rate_schedule``.
    state : dict or None
        Running state of a schedule from an earlier ``partial_fit`` call.
    """

    def __init__(self, estimator, state=None):
        self.sgd = estimator.solver == "sgd"
        self.kind = estimator.learning_rate
        self.learning_rate_init = float(estimator.learning_rate_init)
        self.power_t = estimator.power_t
        self.schedule = resolve(estimator.learning_rate_schedule)
        # A state left by another schedule (set_params between partial_fit
        # calls) does not fit this one: start it anew.
        owner = repr(self.schedule)
        if self.schedule is not None and (state is None or state.get("_owner") != owner):
            state = self.schedule.start(self.learning_rate_init, estimator.max_iter)
            state["_owner"] = owner
        self.state = state

    def after_epoch(self, lr, t, metric):
        """Rate for the next epoch after ``t`` samples seen in total.

        A schedule counts the epochs since it started: a ``fit`` (warm started
        or not) starts it again, ``partial_fit`` calls continue it.
        """
        if self.schedule is not None:
            self.state["epochs"] += 1
            return self.schedule.next_rate(self.state, self.state["epochs"], metric)
        if self.sgd and self.kind == "invscaling":
            return self.learning_rate_init / (t + 1) ** self.power_t
        return lr

    def on_plateau(self, lr):
        """``(lr, stop, note)`` when ``n_iter_no_change`` epochs did not improve.

        Only sgd with 'adaptive' keeps going, with the rate divided by 5, until
        the rate falls to 1e-6.
        """
        if not self.sgd or self.kind != "adaptive":
            return lr, True, " Stopping."
        if lr <= 1e-6:
            return lr, True, " Learning rate too small. Stopping."
        lr /= 5.0
        return lr, False, " Setting learning rate to %f" % lr


def check_schedule(estimator):
    """Validate the schedule's settings; it replaces sgd's 'invscaling' / 'adaptive'."""
    schedule = resolve(estimator.learning_rate_schedule)
    if schedule is not None:
        schedule.validate()
    if (estimator.learning_rate_schedule is not None and estimator.solver == "sgd"
            and estimator.learning_rate != "constant"):
        raise ValueError(
            f"learning_rate_schedule={estimator.learning_rate_schedule!r} and "
            f"learning_rate={estimator.learning_rate!r} both set the sgd learning "
            "rate: keep learning_rate='constant' when you give a schedule."
        )
