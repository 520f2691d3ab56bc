"""ParticleFeatures: the SVM baseline's hand-made features."""

import numpy as np
import pytest
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from sklearn_cells.datasets._liposomes import make_liposomes
from sklearn_cells.image._particle_features import ParticleFeatures
from sklearn_cells.image._particles import ParticleImages


def _shape(kind, size=61):
    yy, xx = np.mgrid[:size, :size] - size // 2
    if kind == "disc":
        return np.hypot(yy, xx) < 20
    if kind == "square":
        return (np.abs(yy) < 18) & (np.abs(xx) < 18)
    return (np.abs(yy) < 6) & (np.abs(xx) < 25)  # elongated bar


def test_shape_features():
    masks = [_shape(k) for k in ("disc", "square", "bar")]
    X = ParticleImages([m * 100.0 + 50 for m in masks], masks)
    pf = ParticleFeatures().fit(X)
    F = pf.transform(X)
    names = list(pf.get_feature_names_out())
    assert F.shape == (3, pf.n_features_out_) == (3, len(names))
    area, circ = F[:, names.index("area")], F[:, names.index("circularity")]
    np.testing.assert_array_equal(area, [m.sum() for m in masks])
    assert circ[0] == pytest.approx(1.0, abs=0.08)  # a disc is circular
    assert circ[0] > circ[1] > circ[2]  # square less, bar least
    eta20, eta02 = F[:, names.index("eta20")], F[:, names.index("eta02")]
    assert eta20[2] > 4 * eta02[2]  # the bar is wide, not tall
    assert eta20[0] == pytest.approx(eta02[0], rel=0.02)
    hist = F[:, [n.startswith("hist_") for n in names]]
    np.testing.assert_allclose(hist.sum(axis=1), 1.0)  # fractions of the mask's pixels


def test_edge_profile_sees_a_dark_membrane():
    mask = _shape("disc")
    yy, xx = np.mgrid[:61, :61] - 30
    ring = np.abs(np.hypot(yy, xx) - 18) < 1.5
    image = np.where(ring, 20.0, 200.0)
    pf = ParticleFeatures().fit(ParticleImages([image], [mask]))
    names = list(pf.get_feature_names_out())
    F = pf.transform(ParticleImages([image], [mask]))[0]
    edge = {n: v for n, v in zip(names, F) if n.startswith("edge_")}
    # the membrane lies ~2 pixels inside the mask border: darkest there
    assert min(edge, key=edge.get) in {"edge_-4", "edge_-3", "edge_-2"}
    assert F[names.index("snr")] > 1


def test_features_separate_liposome_classes():
    X, y = make_liposomes(45, weights=[1, 1, 1], surround=6, random_state=0)
    F = ParticleFeatures().fit_transform(X)
    assert np.isfinite(F).all()
    svc = make_pipeline(StandardScaler(), SVC(class_weight="balanced"))
    accuracy = cross_val_score(svc, F, y, cv=StratifiedKFold(3, shuffle=True, random_state=0)).mean()
    assert accuracy > 0.8  # chance is 1/3


def test_errors_and_not_fitted():
    from sklearn.exceptions import NotFittedError

    X = ParticleImages([np.ones((9, 9))], [np.ones((9, 9), bool)])
    with pytest.raises(NotFittedError):
        ParticleFeatures().transform(X)
    with pytest.raises(TypeError, match="ParticleImages"):
        ParticleFeatures().fit(np.ones((2, 9, 9)))
    with pytest.raises(ValueError, match="n_bins"):
        ParticleFeatures(n_bins=0).fit(X)
    # constant images do not divide by zero
    assert np.isfinite(ParticleFeatures().fit_transform(X)).all()
