"""scikit-learn conventions: ``set_output`` in pipelines, and doc links in the HTML repr."""

import inspect
import re

import numpy as np
import pytest
import sklearn
from imblearn.pipeline import make_pipeline as make_imb_pipeline
from sklearn.base import BaseEstimator
from sklearn.ensemble import StackingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

import sklearn_cells
from sklearn_cells import (
    LSTMTrajectoryClassifier,
    PolarVelocityTransformer,
    TrajectoryFeatures,
    TrajectoryScaler,
    TrajectoryWindowSampler,
    VelocityTransformer,
)
from sklearn_cells.utils import _doc_links

pd = pytest.importorskip("pandas")

RAGGED_TRANSFORMERS = [VelocityTransformer(dt=2.0), PolarVelocityTransformer(), TrajectoryScaler()]


def _tracks(n=16, seed=0):
    """Ragged 2-D tracks; class 1 moves persistently, class 0 at random."""
    rng = np.random.default_rng(seed)
    X, y = [], []
    for i in range(n):
        label = i % 2
        steps = rng.normal(size=(int(rng.integers(12, 30)), 2))
        if label:
            steps = np.cumsum(steps, axis=0) * 0.3 + 1.0
        X.append(np.vstack([np.zeros((1, 2)), np.cumsum(steps, axis=0)]))
        y.append(["random", "persistent"][label])
    return X, np.asarray(y)


# -- set_output ------------------------------------------------------------------


@pytest.mark.parametrize("transformer", RAGGED_TRANSFORMERS, ids=lambda t: type(t).__name__)
@pytest.mark.parametrize("setting", ["pandas", "polars", "default", None])
def test_ragged_transformer_keeps_its_output_under_set_output(transformer, setting):
    X, _ = _tracks()
    expected = transformer.fit_transform(X)
    assert transformer.set_output(transform=setting) is transformer
    out = transformer.fit_transform(X)
    assert isinstance(out, list) and len(out) == len(expected)
    for a, b in zip(out, expected):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("transformer", RAGGED_TRANSFORMERS, ids=lambda t: type(t).__name__)
def test_ragged_transformer_ignores_the_global_pandas_setting(transformer):
    X, _ = _tracks()
    X3d = np.stack([x[:10] for x in X])  # equal lengths: a 3-D array stays 3-D
    with sklearn.config_context(transform_output="pandas"):
        assert isinstance(transformer.fit_transform(X), list)
        out = transformer.fit(X3d).transform(X3d)
    assert isinstance(out, np.ndarray) and out.ndim == 3


@pytest.mark.parametrize("transformer", RAGGED_TRANSFORMERS, ids=lambda t: type(t).__name__)
def test_ragged_transformer_set_output_rejects_unknown_setting(transformer):
    with pytest.raises(ValueError, match=r"transform='numpy' is not an output setting"):
        transformer.set_output(transform="numpy")


def test_readme_pipeline_accepts_pandas_output():
    X, y = _tracks()
    pipe = make_pipeline(VelocityTransformer(dt=5.0), TrajectoryScaler(),
                         LSTMTrajectoryClassifier(hidden_size=4, max_epochs=2, random_state=0))
    pipe.set_output(transform="pandas")
    pred = pipe.fit(X, y).predict(X)
    assert pred.shape == (len(X),) and set(pred) <= set(y)
    assert isinstance(pipe[:-1].transform(X), list)


def test_feature_pipeline_gives_data_frames_with_named_columns():
    X, y = _tracks(n=24)
    svc = make_pipeline(TrajectoryFeatures(dt=5.0), StandardScaler(), SVC())
    svc.set_output(transform="pandas").fit(X, y)
    table = svc[:-1].transform(X)
    assert isinstance(table, pd.DataFrame)
    assert list(table.columns) == list(svc[0].get_feature_names_out())
    # The persistent and the random walkers differ in every speed statistic.
    assert svc.score(X, y) > 0.9


# scikit-learn's StackingClassifier fits its final estimator on arrays and, with
# pandas output, predicts from a data frame: its warning, not ours.
@pytest.mark.filterwarnings("ignore:X has feature names:UserWarning")
def test_example_pipelines_accept_pandas_output():
    # The pipelines of plot_trajectory_classification.py and
    # plot_trajectory_stacking.py, with tiny training budgets.
    X, y = _tracks(n=24)
    lstm = LSTMTrajectoryClassifier(hidden_size=4, max_epochs=2, augment=False,
                                    early_stopping=False, random_state=0)
    windowed = make_imb_pipeline(
        VelocityTransformer(dt=5.0), PolarVelocityTransformer(),
        TrajectoryScaler(method="standard"), TrajectoryWindowSampler(window_length=8),
        lstm,
    )
    stack = StackingClassifier(
        [("lstm", make_pipeline(VelocityTransformer(), TrajectoryScaler(), lstm)),
         ("svc", make_pipeline(TrajectoryFeatures(), StandardScaler(), SVC()))],
        final_estimator=LogisticRegression(), cv=2,
    )
    for model in (windowed, stack):
        model.set_output(transform="pandas")
        assert model.fit(X, y).predict(X).shape == (len(X),)


# -- links from the HTML representation to the API pages ---------------------------


def _exported_estimators():
    return [getattr(sklearn_cells, name) for name in sklearn_cells.__all__
            if inspect.isclass(getattr(sklearn_cells, name))
            and issubclass(getattr(sklearn_cells, name), BaseEstimator)]


@pytest.fixture
def no_project_url(monkeypatch):
    monkeypatch.delenv(_doc_links.DOCS_URL_ENV, raising=False)
    monkeypatch.setattr(_doc_links, "_project_docs_url", lambda: "")


def test_every_exported_estimator_links_to_its_api_page(monkeypatch, no_project_url):
    monkeypatch.setenv(_doc_links.DOCS_URL_ENV, "https://example.org/sklearn-cells")
    classes = _exported_estimators()
    assert len(classes) >= 20
    for cls in classes:
        # docs/conf.py writes the page of a root export as generated/sklearn_cells.<Name>.html
        assert cls._get_doc_link(cls()) == (
            f"https://example.org/sklearn-cells/generated/sklearn_cells.{cls.__name__}.html")


def test_no_link_without_a_documentation_url(no_project_url):
    assert LSTMTrajectoryClassifier()._get_doc_link() == ""


def test_project_documentation_url_is_the_default(monkeypatch):
    monkeypatch.delenv(_doc_links.DOCS_URL_ENV, raising=False)
    monkeypatch.setattr(_doc_links, "_project_docs_url", lambda: "https://docs.example.org/v1")
    assert VelocityTransformer()._get_doc_link() == (
        "https://docs.example.org/v1/generated/sklearn_cells.VelocityTransformer.html")


def test_html_repr_of_a_pipeline_links_every_step(monkeypatch, no_project_url):
    monkeypatch.setenv(_doc_links.DOCS_URL_ENV, "../")
    pipe = make_pipeline(VelocityTransformer(), TrajectoryScaler(), LSTMTrajectoryClassifier())
    links = set(re.findall(r'href="([^"#]+)', pipe._repr_html_()))
    for name in ("VelocityTransformer", "TrajectoryScaler", "LSTMTrajectoryClassifier"):
        assert f"../generated/sklearn_cells.{name}.html" in links


def test_subclasses_outside_the_package_get_no_link(monkeypatch, no_project_url):
    monkeypatch.setenv(_doc_links.DOCS_URL_ENV, "https://example.org/")

    class MyScaler(TrajectoryScaler):
        pass

    assert MyScaler()._get_doc_link() == ""
    # scikit-learn's own estimators keep their links to scikit-learn's docs
    assert "scikit-learn.org" in StandardScaler()._get_doc_link()


def test_image_and_video_pipelines_accept_pandas_output():
    """The LipNet example's pipeline and the frame scorers."""
    from sklearn_cells import FrameChangeScorer, LipNetClassifier, ParticleMasker, SMOTE
    from sklearn_cells.datasets import make_liposomes, make_migration_videos

    X, y = make_liposomes(30, weights=[1, 1, 1], surround=4, size_scale=0.5, random_state=0)
    pipe = make_imb_pipeline(
        ParticleMasker(output_size=12), SMOTE(k_neighbors=2, random_state=0),
        LipNetClassifier("lipnet1", n_filters=4, hidden_size=8, max_epochs=1, random_state=0),
    )
    pipe.set_output(transform="pandas")
    assert pipe.fit(X, y).predict(X).shape == (len(y),)
    videos = make_migration_videos(n_videos=2, n_frames=8, frame_size=16, n_events=1,
                                   min_gap=3, random_state=0)[0]
    scorer = FrameChangeScorer().set_output(transform="pandas")
    assert np.asarray(scorer.fit_transform(videos)).shape == (2, 8)


def test_segmentation_pipeline_accepts_pandas_output():
    from sklearn_cells import (
        BackgroundSubtractor,
        IntensityNormalizer,
        TemporalContextStacker,
        UNetSegmenter,
    )
    from sklearn_cells.datasets import make_timelapse

    X, y = make_timelapse(n_sequences=1, n_frames=4, frame_shape=(16, 16), random_state=0)
    pipe = make_pipeline(BackgroundSubtractor(), IntensityNormalizer(), TemporalContextStacker(),
                         UNetSegmenter(depth=2, base_channels=4, kernel_size=3, max_epochs=1,
                                       random_state=0))
    pipe.set_output(transform="pandas")
    assert pipe.fit(X, y).predict(X).shape == (4, 16, 16)


ESTIMATORS = [getattr(sklearn_cells, name) for name in sklearn_cells.__all__
              if inspect.isclass(getattr(sklearn_cells, name))
              and issubclass(getattr(sklearn_cells, name), BaseEstimator)]


def _documented_parameters(cls) -> list[str]:
    if "Parameters\n    ----------\n" not in cls.__doc__:
        return []
    section = cls.__doc__.split("Parameters\n    ----------\n", 1)[1]
    section = re.split(r"\n    \w[\w ]*\n    -{3,}\n", section, maxsplit=1)[0]
    names = []
    for line in section.splitlines():
        match = re.match(r"^    (\w+(?:, \w+)*)(?: :|$)", line)
        if match:
            names += match.group(1).split(", ")
    return names


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_every_parameter_is_documented_in_signature_order(cls):
    params = list(inspect.signature(cls).parameters)
    assert _documented_parameters(cls) == params


def test_shared_parameters_are_documented_alike():
    torch_estimators = [c for c in ESTIMATORS if issubclass(c, sklearn_cells.base.TorchEstimator)]
    assert len(torch_estimators) == 5
    texts = {re.sub(r"default=.*", "", c.__doc__.split("    lr_schedule :", 1)[1].split(
        "\n\n    Attributes", 1)[0]) for c in torch_estimators}
    assert len(texts) == 1
