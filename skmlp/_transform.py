"""``transform``: the last hidden layer's activations as learned features.

A fitted MLP becomes a feature extractor that can sit in the middle of a
Pipeline (scikit-learn issues #8291 and #9468 asked for exactly this).

The features come from the predict path itself (:mod:`skmlp._predict`): the
network is cut after its last hidden layer and run by the same compiled
engine call, so transform compiles nothing that predict has not compiled
already. No weights are copied either: the engine finds every layer's
coefficients and intercepts through the offsets in its workspace layout, so
the cut network keeps the full packed ``theta`` and only its layout changes
(the intercept offsets point past the output layer's coefficients, where
they are in the full vector). In-place edits of ``coefs_`` are seen, as by
predict.

Dropout is off, as in predict (the engine drops units only when training),
and batch normalisation runs in inference mode (running statistics), as in
predict's engine call (``train=False``).
"""

import weakref

import numpy as np
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin

from . import _dask, _data, _predict

# Per estimator: (the full network its entry was cut from, cut network, layout).
# Keyed like _predict's cache and valid while _predict reuses the same net.
_CUT = weakref.WeakKeyDictionary()


def cut_layout(net):
    """``(hidden_net, unit_layout)``: ``net`` without its output layer.

    The layout addresses the full packed ``theta``: its coefficient offsets
    are the same as the full network's (the cut layers come first), its
    intercept offsets are the full network's, which start after *every*
    coefficient matrix, the output layer's included.
    """
    bn = None if net.bn is None else net.bn[:-1].copy()
    hidden = net._replace(units=net.units[:-1].copy(), acts=net.acts[:-1].copy(),
                          keep=np.ones(net.keep.shape[0] - 1),  # no dropout here
                          pre=net.pre[:-1].copy(), bn=bn)
    full_off, _ = _data.layout(net, 1)
    off, sizes = _data.layout(hidden, 1)
    # Offsets into theta come from the full network.
    for row in (_data.OFF_B, _data.OFF_G, _data.OFF_R):
        off[row, :] = full_off[row, :-1]
    return hidden, (off, sizes)


def prepared_hidden(est):
    """``(theta, hidden_net, unit_layout)``: :func:`_predict.prepared`, cut."""
    theta, net, unit_layout = _predict.prepared(est)
    if net.units.shape[0] < 3:
        raise ValueError(
            f"This {type(est).__name__} has no hidden layer "
            f"(hidden_layer_sizes={est.hidden_layer_sizes!r}), so transform has no "
            "hidden features to return. Fit it with at least one hidden layer."
        )
    try:
        entry = _CUT.get(est)
    except TypeError:  # unhashable subclass: no caching, as in _predict
        return (theta, *cut_layout(net))
    if entry is None or entry[0] is not net:
        # A new net object means _predict rebuilt its entry (new weights or
        # activations, or arrays set by hand, which are never cached there).
        entry = (net, *cut_layout(net))
        _CUT[est] = entry
    return theta, entry[1], entry[2]


class HiddenFeaturesMixin(TransformerMixin, ClassNamePrefixFeaturesOutMixin):
    """``transform``, ``fit_transform`` and feature names for skmlp's MLPs.

    scikit-learn's ``TransformerMixin`` supplies ``fit_transform`` (``fit``
    then ``transform`` on the training data) and ``set_output``;
    ``ClassNamePrefixFeaturesOutMixin`` names the features
    ``<classname>0 .. <classname>k-1`` from ``_n_features_out``.
    """

    @property
    def _n_features_out(self):
        # AttributeError when unfitted: what check_is_fitted looks for.
        return self.coefs_[-1].shape[0]

    def transform(self, X):
        """Return the last hidden layer's activations: the learned features.

        The forward pass of :meth:`predict` stopped before the output layer,
        with dropout off. Input is checked as by ``predict`` (number of
        features, feature names, sparse matrices accepted), and the result
        has predict's dtype: float32 for float32 input on a float32 model,
        float64 otherwise. A Dask array or DataFrame gives a lazy Dask array
        (one task per row block), as ``predict`` does.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        X_new : ndarray of shape (n_samples, hidden_layer_sizes[-1])
            The last hidden layer's activations, one column per unit, named
            by :meth:`get_feature_names_out`.
        """
        if _dask.is_dask_collection(X):
            return _dask.predict(self, X, "_transform")
        return self._transform(X)

    def _transform(self, X):
        # Without set_output's wrapping (added to ``transform`` by
        # scikit-learn): Dask blocks call this, so that every block is an
        # ndarray whatever the output configuration.
        self._require_fitted()
        return _predict.forward_pass(self, X, prepare=prepared_hidden)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # float32 models compute (and return) float32 features
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
