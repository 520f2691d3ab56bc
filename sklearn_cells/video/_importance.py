"""Frame importance from a next-frame predictor with attention (seed study 001).

:class:`AttentionFrameScorer` learns, without labels, to predict the next
frame(s) of videos of migrating cells, with a CNN encoder, causal attention
over the previous frames and a CNN decoder (group normalisation throughout,
see :mod:`sklearn_cells.nn.attention`). A frame's importance is how badly the
network predicted it ("surprise") or, as in the seed, how much attention the
network paid to it; either is normalised per video as in the seed: divided
by the video's smallest value, then log.

Importance varies between networks trained from different seeds (the seed's
main caveat); :mod:`sklearn_cells.video._stability` measures that and
averages several networks.
"""

from __future__ import annotations

import numbers

import numpy as np
import torch
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted
from skorch.dataset import Dataset

from ..base import (
    FitData,
    TorchEstimator,
    positive_int,
    real_in,
    shared_parameter_docs,
)
from ..nn.attention import NextFrameCriterion, NextFramePredictor
from ._readout import (
    attention_change,
    attention_received,
    normalise_importance,
    surprise,
)
from ._scorer import FrameScorerMixin
from ._validation import check_videos

__all__ = ["AttentionFrameScorer"]

_IMPORTANCE = ("attention", "attention_change", "surprise")
_VALUES = ("maps", "summaries")


def _clips(videos, length):
    """Cut each video into clips of ``length`` frames, evenly spread.

    ``ceil(n_frames / length)`` clips per video, the first starting at the
    first frame and the last ending at the last one, so every frame is used
    and clips overlap as little as possible.
    """
    clips = []
    for video in videos:
        n_clips = -(-len(video) // length)
        starts = np.linspace(0, len(video) - length, n_clips).round().astype(int)
        clips.extend(video[s : s + length] for s in starts)
    return np.stack(clips)


@shared_parameter_docs
class AttentionFrameScorer(FrameScorerMixin, TorchEstimator):
    """Score video frames with an attention-based next-frame predictor (seed 001).

    ``fit`` trains, without labels, a network that predicts frames ``t + 1 ...
    t + n_predict`` from frames ``t - attention_span + 1 ... t``: a CNN encoder
    with group normalisation, causal multi-head attention over the frames and
    a CNN decoder with group normalisation
    (:class:`~sklearn_cells.nn.attention.NextFramePredictor`).
    ``transform`` returns one importance per frame of each video: how
    surprising the frame was to the network (default), or, as in the seed,
    how much attention the network paid to it.

    Parameters
    ----------
    attention_span : int, default=8
        Frames each prediction may attend to (the current one included).
        Videos need at least ``attention_span + n_predict`` frames.
    n_predict : int, default=1
        Frames predicted at each step (the seed's transformer predicted a
        sequence of frames rather than one).
    importance : {"surprise", "attention", "attention_change"}, default="surprise"
        What ``transform`` returns before per-video normalisation:

        - ``"attention"``: the seed's measure, the mean attention a frame
          receives from the steps that can see it, relative to uniform
          attention, averaged over heads;
        - ``"attention_change"``: how much the network's attention over the
          same earlier frames shifts between the step before the frame and
          the step at it (total variation distance), the seed's "attention
          variation": where the network changes which past it relies on;
        - ``"surprise"``: the error of predicting the frame from the frames
          before it (its information content under a Gaussian model; the
          first frame gets the video's smallest value).

        All are then divided by the video's smallest value and logged. The
        default is ``"surprise"`` because on videos with known events
        (``examples/plot_frame_importance.py``) it ranks event frames far
        above ordinary ones with any single network (held-out ROC AUC
        ~0.98). The attention read-outs need the motion settings
        (``motion=True``, ``attention_values="summaries"``, ``n_predict=4``,
        ``attention_span=16``) and enough videos (64 in the example): then
        ``"attention"`` reaches ~0.76 for one network (varying between seeds
        from ~0.6 to ~0.8) and ~0.87 for the mean of four, and
        ``"attention_change"`` ~0.70 and ~0.80. With the default settings or
        few videos attention stays near chance: a next-frame predictor of
        crawling cells mostly attends to recent frames, whatever happened.
    attention_penalty : float, default=0.0
        Weight of the KL divergence of attention from uniform added to the
        loss (the seed's secondary loss). The prediction error of frames
        scaled to about [0, 1] is small (~1e-3), so useful weights are small
        too (~1e-4); large weights flatten attention completely.
    embed_dim : int, default=32
        Length of the frame summaries that queries and keys come from.
    n_heads : int, default=2
    channels : tuple of int, default=(16, 32)
        Channels of the encoder blocks (each halves the frame size); the
        decoder mirrors them.
    n_groups : int, default=4
        Groups of the group normalisations.
    motion : bool, default=False
        Encode each frame together with its change since the previous frame,
        so that the frame summaries queries and keys come from describe
        motion, not only appearance.
    attention_values : {"maps", "summaries"}, default="maps"
        What attention averages over earlier frames: their feature maps
        (spatial, as in the seed) or their summary vectors (position-free: an
        estimate of the current motion pooled over the attended frames). With
        ``motion=True`` and ``n_predict > 1``, ``"summaries"`` makes attention
        follow changes of motion; see
        :class:`~sklearn_cells.nn.attention.NextFramePredictor`.
    crop_length : int, optional
        Videos are cut into clips of this many frames for training; default
        ``min(shortest video, 2 * attention_span + n_predict)``, so that about half
        the steps of a clip see a full context.
    lr : float, default=2e-3
        Adam's learning rate.
    max_epochs : int, default=40
    batch_size : int, default=4
        Clips per batch.
    %(shared_parameters)s

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The trained network (``net_.module_`` is the PyTorch module).
    frame_shape_ : tuple of int
        ``(C, H, W)`` of the frames seen in ``fit``.
    n_features_in_ : int
        Channels per frame, as for the other image estimators.

    See Also
    --------
    sklearn_cells.video.FrameImportanceEnsemble : average several seeds.
    sklearn_cells.video.importance_stability : how much seeds agree.

    Notes
    -----
    Attention importance says which earlier frames the predictor used, not
    directly which frames were eventful: when the next frame is predictable
    from the last few, attention stays on the last few whatever happened
    before. It marks events only when the network needs to pool the right
    earlier frames (motion summaries, several frames predicted) and has seen
    enough videos, and even then it differs between seeds. All read-outs
    depend on the network and its seed; check them with
    :func:`~sklearn_cells.video.importance_stability` before trusting single
    frames, average seeds with
    :class:`~sklearn_cells.video.FrameImportanceEnsemble`, and prefer
    important subsequences (:func:`~sklearn_cells.video.important_subsequences`).
    Like the seed's, the analysis is in-sample: fit and score the same videos.

    Examples
    --------
    >>> from sklearn_cells.datasets._videos import make_migration_videos
    >>> videos, events = make_migration_videos(n_videos=4, n_frames=16, n_events=1,
    ...                                        frame_size=16, random_state=0)
    >>> scorer = AttentionFrameScorer(attention_span=4, max_epochs=1, channels=(4, 8),
    ...                               embed_dim=8, random_state=0).fit(videos)
    >>> scorer.transform(videos).shape
    (4, 16)
    """

    def __init__(
        self,
        attention_span: int = 8,
        n_predict: int = 1,
        importance: str = "surprise",
        attention_penalty: float = 0.0,
        embed_dim: int = 32,
        n_heads: int = 2,
        channels: tuple = (16, 32),
        n_groups: int = 4,
        motion: bool = False,
        attention_values: str = "maps",
        crop_length: int | None = None,
        lr: float = 2e-3,
        max_epochs: int = 40,
        batch_size: int = 4,
        lr_schedule: str | None = None,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 5,
        mixed_precision: bool = False,
        warm_start: bool = False,
        callbacks: list | None = None,
        accelerator=None,
        device: str = "cpu",
        random_state=None,
        verbose: int = 0,
    ):
        self.attention_span = attention_span
        self.n_predict = n_predict
        self.importance = importance
        self.attention_penalty = attention_penalty
        self.embed_dim = embed_dim
        self.n_heads = n_heads
        self.channels = channels
        self.n_groups = n_groups
        self.motion = motion
        self.attention_values = attention_values
        self.crop_length = crop_length
        self.lr = lr
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr_schedule = lr_schedule
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.mixed_precision = mixed_precision
        self.warm_start = warm_start
        self.callbacks = callbacks
        self.accelerator = accelerator
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    _parameter_constraints: dict = {
        **TorchEstimator._parameter_constraints,
        "attention_span": [positive_int()],
        "n_predict": [positive_int()],
        "importance": [StrOptions(set(_IMPORTANCE))],
        "attention_penalty": [real_in(0, None, closed="left")],
        "embed_dim": [positive_int()],
        "n_heads": [positive_int()],
        "channels": [tuple, list],
        "n_groups": [positive_int()],
        "motion": ["boolean"],
        "attention_values": [StrOptions(set(_VALUES))],
        "crop_length": [positive_int(), None],
    }

    # ------------------------------------------------------------------ checks
    def _check_params(self):
        if not self.channels or not all(
            isinstance(c, numbers.Integral) and not isinstance(c, bool) and c >= 1
            for c in self.channels
        ):
            raise ValueError(
                f"channels must be a non-empty tuple of positive integers (one per "
                f"encoder block), e.g. (16, 32); got {self.channels!r}."
            )
        if self.crop_length is not None and self.crop_length < self._min_frames():
            raise ValueError(
                f"crop_length must be at least attention_span + n_predict = {self._min_frames()}; "
                f"got {self.crop_length}."
            )

    def _min_frames(self):
        return self.attention_span + self.n_predict

    def _reason(self):
        return (
            f" for attention_span={self.attention_span} frames of context and n_predict="
            f"{self.n_predict} frame(s) to predict; use longer videos or lower "
            "attention_span / n_predict"
        )

    def _validate(self, X, fitted):
        return check_videos(
            X,
            min_frames=self._min_frames(),
            frame_shape=self.frame_shape_ if fitted else None,
            min_frames_reason=self._reason(),
        )

    # --------------------------------------------------------------------- fit
    def fit(self, X, y=None) -> AttentionFrameScorer:
        """Train the next-frame predictor on videos (no labels).

        Parameters
        ----------
        X : list of array-like of shape (n_frames_i, [C,] H, W), or array-like \
                of shape (n_videos, n_frames, [C,] H, W)
            The videos, time first; lengths may differ, frame sizes may not.
            With ``early_stopping``, whole videos are held out.
        y : None
            Ignored; present for pipelines.

        Returns
        -------
        self : AttentionFrameScorer
        """
        return self._fit(X)

    def partial_fit(self, X, y=None) -> AttentionFrameScorer:
        """Train one more epoch on the videos ``X`` (the first call initialises)."""
        return self._fit(X, incremental=True)

    def _prepare_fit(self, X, y, *, reset) -> FitData:
        videos, _ = self._validate(X, fitted=not reset)
        frame_shape = tuple(int(s) for s in videos[0].shape[1:])
        length = self.crop_length or min(
            min(len(v) for v in videos), 2 * self.attention_span + self.n_predict
        )
        fitted = {"frame_shape_": frame_shape, "n_features_in_": frame_shape[0]}
        return FitData(len(videos), fitted,
                       arrays={"videos": videos, "length": max(length, self._min_frames())})

    def _make_datasets(self, data, train_idx, valid_idx):
        videos, length = data.arrays["videos"], data.arrays["length"]
        train = _clips([videos[i] for i in train_idx], length)
        if valid_idx is None:
            return Dataset(train, train), None
        valid = _clips([videos[i] for i in valid_idx], length)
        return Dataset(train, train), Dataset(valid, valid)

    def _net_params(self, data, train_idx, *, early_stopping, incremental):
        channels, height, width = data.fitted["frame_shape_"]
        return dict(
            module=NextFramePredictor,
            module__in_channels=channels,
            module__frame_size=(height, width),
            module__attention_span=self.attention_span,
            module__n_predict=self.n_predict,
            module__embed_dim=self.embed_dim,
            module__n_heads=self.n_heads,
            module__channels=tuple(self.channels),
            module__n_groups=self.n_groups,
            module__motion=bool(self.motion),
            module__values=self.attention_values,
            criterion=NextFrameCriterion,
            criterion__attention_span=self.attention_span,
            criterion__attention_penalty=self.attention_penalty,
            optimizer=torch.optim.Adam,
            iterator_train__shuffle=True,
        )

    # --------------------------------------------------------------- inference
    def _run(self, video, chunk: int | None = None):
        """Banded attention rows (T, attention_span) and next-frame errors (T,) of one video.

        Long videos are processed in chunks that overlap by ``attention_span - 1``
        frames, so every step sees exactly the frames it would see at once.
        """
        device = self._device
        chunk = chunk or self._inference_batch_size  # frames predicted per forward pass
        # The fitted network's context, even if attention_span was changed since.
        n_frames, ctx = len(video), self.net_.module_.attention.attention_span
        rows = np.zeros((n_frames, ctx))
        errors = np.full(n_frames, np.nan)
        start = 0
        with self._evaluation() as module:
            while start < n_frames:
                first = max(0, start - (ctx - 1))
                stop = min(n_frames, start + chunk)
                # One frame more than predicted so the last step's target exists.
                frames = torch.as_tensor(video[first : min(n_frames, stop + 1)], device=device)
                prediction, attention = module(frames[None])
                prediction = prediction.float()
                attention = attention[0].float().mean(0).cpu().numpy()  # mean over heads
                steps = np.arange(start, stop)
                q = steps - first
                for lag in range(ctx):
                    seen = q - lag >= 0
                    rows[steps[seen], lag] = attention[q[seen], q[seen] - lag]
                has_target = q + 1 < len(frames)
                q = q[has_target]
                diff = prediction[0, q, 0] - frames[q + 1]
                errors[steps[has_target] + 1] = diff.pow(2).flatten(1).mean(1).cpu().numpy()
                start = stop
        return rows, errors

    def _per_video(self, X):
        check_is_fitted(self, "net_")
        videos, was_array = self._validate(X, fitted=True)
        return [self._run(v) for v in videos], was_array

    def transform(self, X):
        """One importance per frame of each video.

        Parameters
        ----------
        X : list of videos or array (n_videos, n_frames, [C,] H, W)

        Returns
        -------
        importance : ndarray of shape (n_videos, n_frames) or list of ndarray
            An array when ``X`` is one array, otherwise a list with one
            ``(n_frames_i,)`` array per video. Each video's least important
            frame has 0; the others ``log(raw / smallest raw)``.
        """
        results, was_array = self._per_video(X)
        out = []
        for rows, errors in results:
            if self.importance == "attention":
                raw = attention_received(rows)
            elif self.importance == "attention_change":
                raw = attention_change(rows)
            else:
                raw = surprise(errors)
            out.append(normalise_importance(raw))
        return np.stack(out) if was_array else out

    def attention(self, X):
        """Raw attention of each step to the frames before it.

        Returns
        -------
        attention : list of ndarray of shape (n_frames_i, attention_span)
            ``attention[i][t, lag]`` is the attention (mean over heads) that
            the step at frame ``t`` pays to frame ``t - lag``.
        """
        results, _ = self._per_video(X)
        return [rows for rows, _ in results]

    def prediction_errors(self, X):
        """Mean squared error of predicting each frame from the frames before it.

        Returns
        -------
        errors : list of ndarray of shape (n_frames_i,)
            ``errors[i][t]`` for frame ``t`` predicted at step ``t - 1`` (one
            step ahead); ``errors[i][0]`` is NaN.
        """
        results, _ = self._per_video(X)
        return [errors for _, errors in results]

    _one_step_errors = prediction_errors
