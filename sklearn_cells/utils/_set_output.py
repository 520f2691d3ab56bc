"""``set_output`` for transformers whose output is not a table.

scikit-learn's ``Pipeline.set_output(transform="pandas")`` calls ``set_output``
on every step that transforms and raises if a step lacks it. Transformers that
return ragged trajectories or image stacks cannot return a data frame, but they
must not stop a pipeline from configuring the steps that can (for example
:class:`~sklearn_cells.TrajectoryFeatures` after them).
"""

from __future__ import annotations

from sklearn.utils._set_output import _SetOutputMixin

__all__ = ["NonTabularOutputMixin"]

_OUTPUT_CHOICES = (None, "default", "pandas", "polars")


class NonTabularOutputMixin(_SetOutputMixin):
    """Opt-out of scikit-learn's output containers, for non-tabular output.

    A subclass keeps the container its ``transform`` returns (a list of
    trajectories, an n-d array, ...) whatever ``set_output`` or
    ``sklearn.set_config(transform_output=...)`` asks for: its ``transform``
    and ``fit_transform`` are never wrapped, and :meth:`set_output` accepts
    the usual settings and changes nothing. Put it first among the bases,
    before ``TransformerMixin``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.base import BaseEstimator, TransformerMixin
    >>> class Diff(NonTabularOutputMixin, TransformerMixin, BaseEstimator):
    ...     def fit(self, X, y=None):
    ...         return self
    ...     def transform(self, X):
    ...         return [np.diff(x, axis=0) for x in X]
    >>> Diff().set_output(transform="pandas").fit_transform([np.arange(4.0)[:, None]])
    [array([[1.],
           [1.],
           [1.]])]
    """

    def __init_subclass__(cls, **kwargs):
        # No automatic wrapping of transform / fit_transform into data frames.
        kwargs["auto_wrap_output_keys"] = None
        super().__init_subclass__(**kwargs)

    def set_output(self, *, transform: str | None = None):
        """Accept an output setting and keep this step's own output.

        The output of this transformer (trajectories of different lengths,
        or arrays with more than two dimensions) has no data-frame form, so
        every setting returns it unchanged. The method exists so that
        ``pipeline.set_output(transform="pandas")`` configures the other
        steps of a pipeline that holds this one.

        Parameters
        ----------
        transform : {"default", "pandas", "polars"} or None, default=None
            Accepted and ignored.

        Returns
        -------
        self : estimator instance
        """
        if transform not in _OUTPUT_CHOICES:
            raise ValueError(
                f"transform={transform!r} is not an output setting; use 'default', "
                "'pandas', 'polars' or None."
            )
        return self
