"""sklearn_cells.save / load: round trips, and files crafted to run code are refused."""

import contextlib
import copy
import io
import json
import pickle
import re
import sys
import zipfile

import joblib
import numpy as np
import pytest
import skops.io as sio
import torch
from imblearn.pipeline import make_pipeline as make_imb_pipeline
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from skorch.callbacks import PrintLog
from test_common import (
    _TINY_LIPNET,
    CASES,
    _frame_scorer,
    _particles,
    _trajectories,
    _videos,
)

import sklearn_cells
from sklearn_cells import load, save
from sklearn_cells.datasets import make_timelapse

TORCH_ESTIMATORS = [
    "LSTMTrajectoryClassifier",
    "MDNTrajectoryGenerator",
    "LipNetClassifier",
    "UNetSegmenter",
    "AttentionFrameScorer",
]


def _outputs(model, X):
    """Everything the model computes on X (and samples, for the generator)."""
    out = {}
    for method in ("predict_proba", "transform", "score_samples"):
        if hasattr(model, method):
            out[method] = np.asarray(getattr(model, method)(X))
    if hasattr(model, "sample"):
        out["sample"] = model.sample(3, n_steps=5, random_state=0)
    assert out
    return out


def _assert_same_outputs(a, b):
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def _round_trip(model, tmp_path, **load_kwargs):
    path = tmp_path / "model.skops"
    save(model, path)
    return load(path, **load_kwargs)


@pytest.fixture(scope="module")
def fitted():
    """The five torch estimators of the common CASES, fitted once."""
    out = {}
    for name in TORCH_ESTIMATORS:
        estimator, X, y = CASES[name]()
        out[name] = (estimator.fit(X, y), X, y)
    return out


# ------------------------------------------------------------------ round trips
@pytest.mark.parametrize("name", TORCH_ESTIMATORS)
def test_estimator_round_trip_predicts_identically(fitted, name, tmp_path):
    estimator, X, _ = fitted[name]
    loaded = _round_trip(estimator, tmp_path)
    assert type(loaded) is type(estimator)
    assert loaded.get_params() == estimator.get_params()
    _assert_same_outputs(_outputs(loaded, X), _outputs(estimator, X))
    assert [e["train_loss"] for e in loaded.history_] == [
        e["train_loss"] for e in estimator.history_
    ]


def test_lipnet_module_attribute_is_restored_inside_the_net(fitted, tmp_path):
    loaded = _round_trip(fitted["LipNetClassifier"][0], tmp_path)
    assert loaded.module_ is loaded.net_.module_.net


def _timelapse_data():
    X, y = make_timelapse(n_sequences=2, n_frames=4, frame_shape=(16, 16), random_state=0)
    return X, y


STUDIES = {
    "trajectories": lambda: (
        make_imb_pipeline(
            sklearn_cells.VelocityTransformer(dt=5.0),
            sklearn_cells.TrajectoryScaler(),
            sklearn_cells.LSTMTrajectoryClassifier(hidden_size=4, max_epochs=3, random_state=0),
        ),
        *_trajectories(),
    ),
    "liposomes": lambda: (
        make_imb_pipeline(
            sklearn_cells.ParticleMasker(output_size=12),
            sklearn_cells.RandomOverSampler(random_state=0),
            sklearn_cells.LipNetClassifier("lipnet1", **_TINY_LIPNET),
        ),
        *_particles((3, 2, 1)),
    ),
    "segmentation": lambda: (
        make_imb_pipeline(
            sklearn_cells.BackgroundSubtractor(),
            sklearn_cells.IntensityNormalizer(),
            sklearn_cells.TemporalContextStacker(n_context=1),
            sklearn_cells.UNetSegmenter(depth=2, base_channels=4, kernel_size=3, max_epochs=2,
                                        batch_size=4, random_state=0),
        ),
        *_timelapse_data(),
    ),
    "videos": lambda: (make_imb_pipeline(_frame_scorer()), *_videos()),
}


@pytest.mark.parametrize("study", STUDIES)
def test_pipeline_of_each_study_round_trips(study, tmp_path):
    pipe, X, y = STUDIES[study]()
    pipe.fit(X, y)
    loaded = _round_trip(pipe, tmp_path)
    assert [type(s) for _, s in loaded.steps] == [type(s) for _, s in pipe.steps]
    _assert_same_outputs(_outputs(loaded, X), _outputs(pipe, X))


def test_unfitted_estimator_round_trips(tmp_path):
    clf = sklearn_cells.LSTMTrajectoryClassifier(hidden_size=7, dropout=0.3)
    loaded = _round_trip(clf, tmp_path)
    assert loaded.get_params() == clf.get_params()
    with pytest.raises(NotFittedError):
        loaded.predict_proba(_trajectories()[0])


def test_a_net_saved_on_another_device_loads_on_the_cpu(fitted):
    estimator, X, _ = fitted["LSTMTrajectoryClassifier"]
    state = estimator.__getstate__()
    weights = state["net_"]["state_dict"]
    assert all(isinstance(w, np.ndarray) for w in weights.values())
    state["net_"]["device"] = "cuda:7"  # not present here (nor on most machines)
    restored = type(estimator).__new__(type(estimator))
    restored.__setstate__(state)
    assert restored._device == torch.device("cpu")
    np.testing.assert_array_equal(restored.predict_proba(X), estimator.predict_proba(X))


@pytest.mark.cuda
def test_cuda_model_round_trips(tmp_path):
    estimator, X, y = CASES["LSTMTrajectoryClassifier"]()
    estimator.set_params(device="cuda").fit(X, y)
    assert estimator.__getstate__()["net_"]["device"].startswith("cuda")
    loaded = _round_trip(estimator, tmp_path)
    np.testing.assert_allclose(loaded.predict_proba(X), estimator.predict_proba(X), atol=1e-6)


def test_loading_leaves_the_global_torch_generator_alone(fitted, tmp_path):
    path = tmp_path / "model.skops"
    save(fitted["UNetSegmenter"][0], path)
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    load(path)
    assert torch.equal(torch.rand(3), expected)


# ------------------------------------------------------ pickle, copy, warm start
def test_copies_do_not_share_weights(fitted):
    estimator, X, y = fitted["LSTMTrajectoryClassifier"]
    before = estimator.predict_proba(X)
    for twin in (copy.deepcopy(estimator), copy.copy(estimator),
                 pickle.loads(pickle.dumps(estimator))):
        twin.partial_fit(X, y)
        assert not np.array_equal(twin.predict_proba(X), before)
        np.testing.assert_array_equal(estimator.predict_proba(X), before)


@pytest.mark.parametrize("name", ["LSTMTrajectoryClassifier", "LipNetClassifier"])
def test_warm_start_continues_from_the_loaded_weights(fitted, name, tmp_path):
    estimator, X, y = fitted[name]
    loaded = _round_trip(estimator, tmp_path)
    before = loaded.predict_proba(X)
    # A vanishing learning rate: the continued net must start from the loaded
    # weights (a freshly initialised one would predict something else).
    loaded.set_params(lr=1e-12, warm_start=True, max_epochs=2).fit(X, y)
    np.testing.assert_allclose(loaded.predict_proba(X), before, atol=1e-5)
    assert len(loaded.history_) == len(estimator.history_) + 2
    assert loaded.net_.initialized_  # a full net again: optimizer, criterion, callbacks


@pytest.mark.parametrize("name", ["LSTMTrajectoryClassifier", "LipNetClassifier"])
def test_partial_fit_after_load_trains_one_more_epoch(fitted, name, tmp_path):
    estimator, X, y = fitted[name]
    loaded = _round_trip(estimator, tmp_path)
    loaded.partial_fit(X, y)
    assert len(loaded.history_) == len(estimator.history_) + 1
    assert not np.allclose(loaded.predict_proba(X), estimator.predict_proba(X), atol=1e-4)
    if name == "LipNetClassifier":
        assert loaded.module_ is loaded.net_.module_.net


def test_continuing_after_load_matches_continuing_the_original_net_with_sgd(tmp_path):
    """Momentum-free SGD has no optimizer state, so a loaded model trains on exactly
    as the original does."""
    estimator, X, y = CASES["LipNetClassifier"]()
    estimator.set_params(optimizer="sgd", momentum=0.0, augment=False).fit(X, y)
    loaded = _round_trip(estimator, tmp_path)
    for model in (estimator, loaded):
        model.partial_fit(X, y)
    np.testing.assert_allclose(loaded.predict_proba(X), estimator.predict_proba(X), atol=1e-6)


# --------------------------------------------------------------- refusals
class _EvalOnLoad:
    """Stands in for a crafted node: renamed to builtins.eval in the file."""

    def __init__(self, code):
        self.code = code

    def __reduce__(self):
        return (_EvalOnLoad, (self.code,))


class _OpenOnUnpickle:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


class _NetState:
    """Stands in for a skorch net in the file (renamed below) with a pickle inside."""

    def __init__(self, payload):
        self.device = "cpu"
        self.torch_load_kwargs = None
        self.__cuda_dependent_attributes__ = payload


def _rename_types(data: bytes, renames: dict) -> bytes:
    """A copy of a skops file whose nodes of type ``old`` are of type ``new``."""
    src = zipfile.ZipFile(io.BytesIO(data))
    schema = json.loads(src.read("schema.json"))

    def visit(node):
        if isinstance(node, dict):
            key = (node.get("__module__"), node.get("__class__"))
            if key in renames:
                node["__module__"], node["__class__"] = renames[key]
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(schema)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            content = json.dumps(schema) if name == "schema.json" else src.read(name)
            dst.writestr(name, content)
    return out.getvalue()


def _crafted_eval(marker):
    code = f"open({str(marker)!r}, 'w').close()"
    data = sio.dumps([sklearn_cells.TrajectoryScaler(), _EvalOnLoad(code)])
    if b"ConstructorFromReduceNode" not in zipfile.ZipFile(io.BytesIO(data)).read("schema.json"):
        pytest.skip("this skops version calls no constructor while loading")
    return _rename_types(data, {(__name__, "_EvalOnLoad"): ("builtins", "eval")}), "builtins.eval"


def _crafted_pickle_in_net(marker):
    payload = pickle.dumps(_OpenOnUnpickle(str(marker)))
    data = sio.dumps([sklearn_cells.TrajectoryScaler(), _NetState(payload)])
    net = ("sklearn_cells.base", "MixedPrecisionNet")
    return _rename_types(data, {(__name__, "_NetState"): net}), ".".join(net)


@pytest.mark.parametrize("craft", [_crafted_eval, _crafted_pickle_in_net])
def test_a_file_crafted_to_run_code_is_refused_and_runs_nothing(craft, tmp_path):
    marker = tmp_path / "code_ran"
    data, culprit = craft(marker)
    # The file is a real attack: loaded with the culprit trusted, it runs code.
    with contextlib.suppress(Exception):
        sio.loads(data, trusted=sio.get_untrusted_types(data=data))
    assert marker.exists()
    marker.unlink()

    path = tmp_path / "model.skops"
    path.write_bytes(data)
    with pytest.raises(TypeError, match=rf"refusing to load.*{culprit}"):
        load(path)
    assert not marker.exists()


def test_a_pickle_or_joblib_file_is_refused_and_runs_nothing(tmp_path):
    marker, path = tmp_path / "code_ran", tmp_path / "model.joblib"
    joblib.dump(_OpenOnUnpickle(str(marker)), path)
    with pytest.raises(ValueError, match="not a model file written by sklearn_cells.save"):
        load(path)
    assert not marker.exists()


def _with_module_path(data: bytes, module_path: str) -> bytes:
    """A copy of a saved LSTMTrajectoryClassifier whose net names ``module_path``."""
    src = zipfile.ZipFile(io.BytesIO(data))
    schema = src.read("schema.json").decode()
    assert schema.count("sklearn_cells.nn.lstm.LSTMSequenceClassifier") == 1
    schema = schema.replace("sklearn_cells.nn.lstm.LSTMSequenceClassifier", module_path)
    return _rewrite(data, members={"schema.json": schema})


@pytest.mark.parametrize(
    "module_path",
    [
        "torch.nn.Linear",  # a torch module, but not one of sklearn_cells
        "os.system",
        "sklearn_cells.base.MixedPrecisionNet",  # in sklearn_cells, not a torch module
        "sklearn_cells.nn.lstm.nn.Linear",  # reached through sklearn_cells, defined elsewhere
        "sklearn_cells.nn.no_such_module.Net",
        "sklearn_cells.nn.mdn.MixtureNLLLoss",  # a torch module of sklearn_cells, not a net
    ],
)
def test_an_unknown_module_path_in_a_saved_net_is_refused(fitted, module_path, tmp_path):
    path = tmp_path / "model.skops"
    path.write_bytes(_with_module_path(sio.dumps(fitted["LSTMTrajectoryClassifier"][0]),
                                       module_path))
    with pytest.raises(ValueError, match=rf"{re.escape(str(path))}.*not a model file.*"
                                         rf"refusing to build the torch module '{module_path}'"):
        load(path)


def test_types_outside_the_allow_list_need_trusted(tmp_path):
    clf = sklearn_cells.LSTMTrajectoryClassifier(callbacks=[PrintLog()])
    path = tmp_path / "model.skops"
    with pytest.warns(UserWarning, match=r"load\(path, trusted=.*PrintLog"):
        save(clf, path)
    refused = ["builtins.print", "skorch.callbacks.logging.PrintLog"]
    with pytest.raises(TypeError, match=re.escape(f"trusted={refused}")):
        load(path)
    loaded = load(path, trusted=refused)
    assert isinstance(loaded.callbacks[0], PrintLog)


def test_trusted_must_be_a_list_of_names(tmp_path):
    path = tmp_path / "model.skops"
    save(sklearn_cells.TrajectoryScaler(), path)
    with pytest.raises(TypeError, match="list of type names"):
        load(path, trusted="sklearn_cells.trajectory._scaler.TrajectoryScaler")


# ------------------------------------------------- what can never be loaded
def _local_function():
    def double(X):
        return X * 2

    return double


def _local_class_instance():
    class LocalScaler(sklearn_cells.TrajectoryScaler):
        pass

    return LocalScaler()


@pytest.mark.parametrize(
    "make_step, culprit",
    [
        (lambda: FunctionTransformer(lambda X: X), "<lambda>"),
        (lambda: FunctionTransformer(_local_function()), "double"),
        (_local_class_instance, "LocalScaler"),
        # skops writes the method under the module that defines it (sklearn.base)
        (lambda: sklearn_cells.NDSampler(features=sklearn_cells.ParticleFeatures().fit_transform),
         "sklearn.base.ParticleFeatures"),
    ],
    ids=["lambda", "local function", "local class", "inherited bound method"],
)
def test_save_refuses_what_can_never_be_loaded(make_step, culprit, tmp_path):
    path = tmp_path / "model.skops"
    model = make_pipeline(make_step(), sklearn_cells.TrajectoryScaler())
    with pytest.raises(TypeError, match=rf"cannot save .*{re.escape(culprit)}"):
        save(model, path)
    assert not path.exists()


def test_save_accepts_top_level_functions_and_bound_methods(tmp_path):
    path = tmp_path / "model.skops"
    model = [FunctionTransformer(np.nan_to_num),
             sklearn_cells.NDSampler(features=sklearn_cells.ParticleFeatures().transform)]
    with pytest.warns(UserWarning, match="trusted="):
        save(model, path)
    loaded = load(path, trusted=sio.get_untrusted_types(file=path))
    assert loaded[0].func is np.nan_to_num


# ------------------------------------------ loading imports nothing it names
def _rewrite(data: bytes, edit_schema=None, members=None) -> bytes:
    """A copy of a skops file with its schema edited in place by ``edit_schema``
    and the zip members of ``members`` ({name: bytes}) replaced."""
    src = zipfile.ZipFile(io.BytesIO(data))
    schema = json.loads(src.read("schema.json"))
    if edit_schema is not None:
        edit_schema(schema)
    members = {"schema.json": json.dumps(schema), **(members or {})}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            dst.writestr(name, members.get(name, src.read(name)))
    return out.getvalue()


def _nodes(node, key=None):
    """Every dict of the schema (with ``key`` in it, if given)."""
    if isinstance(node, dict):
        if key is None or key in node:
            yield node
        for value in node.values():
            yield from _nodes(value, key)
    elif isinstance(node, list):
        for value in node:
            yield from _nodes(value, key)


@pytest.mark.parametrize(
    "module, name",
    [
        ("sklearn.experimental.enable_iterative_imputer", "IterativeImputer"),
        ("imblearn.datasets._zenodo", "fetch_datasets"),
        ("sklearn_cells._demo", "run_demo"),
    ],
)
def test_load_imports_no_module_a_file_names(module, name, tmp_path, monkeypatch):
    monkeypatch.delitem(sys.modules, module, raising=False)

    def rename(schema):
        for node in _nodes(schema, "__module__"):
            if node["__class__"] == "TrajectoryScaler":
                node["__module__"], node["__class__"] = module, name

    path = tmp_path / "model.skops"
    path.write_bytes(_rewrite(sio.dumps([sklearn_cells.TrajectoryScaler()]), rename))
    with pytest.raises(TypeError, match=rf"refusing to load.*{module}\.{name}"):
        load(path)
    assert module not in sys.modules


def test_load_imports_no_torch_module_a_file_names(fitted, tmp_path, monkeypatch):
    monkeypatch.delitem(sys.modules, "sklearn_cells._demo", raising=False)
    data = _with_module_path(sio.dumps(fitted["LSTMTrajectoryClassifier"][0]),
                             "sklearn_cells._demo.run_demo")
    path = tmp_path / "model.skops"
    path.write_bytes(data)
    with pytest.raises(ValueError, match="refusing to build the torch module"):
        load(path)
    assert "sklearn_cells._demo" not in sys.modules


def test_the_allow_list_is_explicit():
    from sklearn_cells._persistence import ALLOWED_TYPES

    assert "sklearn_cells.trajectory._classifier.LSTMTrajectoryClassifier" in ALLOWED_TYPES
    assert "imblearn.pipeline.Pipeline" in ALLOWED_TYPES
    assert "imblearn.under_sampling._prototype_selection._tomek_links.TomekLinks" in ALLOWED_TYPES
    # estimators this package never holds are not in it, though their packages are
    assert "imblearn.ensemble._forest.BalancedRandomForestClassifier" not in ALLOWED_TYPES
    assert not any(t.startswith(("torch.", "skorch.", "builtins.")) for t in ALLOWED_TYPES)


# -------------------------------- the network's size is checked before building
def _with_module_kwarg(data: bytes, key: str, value) -> bytes:
    def edit(schema):
        (kwargs,) = [n["module_kwargs"] for n in _nodes(schema, "module_kwargs")]
        kwargs["content"][key] = {"__class__": type(value).__name__, "__module__": "builtins",
                                  "__loader__": "JsonNode", "content": json.dumps(value),
                                  "is_json": True}

    return _rewrite(data, edit)


@pytest.mark.parametrize(
    "key, value",
    [("hidden_size", 10**6), ("n_layers", 10**6), ("hidden_size", 5)],
    ids=["huge hidden_size", "huge n_layers", "other hidden_size"],
)
def test_load_checks_the_network_shape_before_building_it(fitted, key, value, tmp_path,
                                                          monkeypatch):
    from sklearn_cells.nn.lstm import LSTMSequenceClassifier

    built = []  # the devices of the parameters of each network built
    init = LSTMSequenceClassifier.__init__

    def recording_init(self, *args, **kwargs):
        init(self, *args, **kwargs)
        built.append({p.device.type for p in self.parameters()})

    monkeypatch.setattr(LSTMSequenceClassifier, "__init__", recording_init)
    path = tmp_path / "model.skops"
    path.write_bytes(_with_module_kwarg(sio.dumps(fitted["LSTMTrajectoryClassifier"][0]),
                                        key, value))
    with pytest.raises(ValueError, match=rf"{re.escape(str(path))}.*not a model file.*"
                                         r"weights do not fit"):
        load(path)
    assert all(devices == {"meta"} for devices in built)  # shapes only, nothing allocated


@pytest.mark.parametrize("name", TORCH_ESTIMATORS)
def test_each_network_is_checked_on_the_meta_device_first(fitted, name, tmp_path,
                                                           monkeypatch):
    estimator = fitted[name][0]
    cls = estimator.net_.module
    built = []
    init = cls.__init__

    def recording_init(self, *args, **kwargs):
        init(self, *args, **kwargs)
        built.append({p.device.type for p in self.parameters()})

    path = tmp_path / "model.skops"
    save(estimator, path)
    monkeypatch.setattr(cls, "__init__", recording_init)
    load(path)
    assert built == [{"meta"}, {"cpu"}]


# ------------------------------------- corrupted files: the library's own error
def _weight_member(data: bytes) -> str:
    """The zip member of the LSTM's first recurrent weight matrix."""
    schema = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("schema.json"))
    (state_dict,) = [n["state_dict"] for n in _nodes(schema, "state_dict")]
    return state_dict["content"]["layers.0.0.weight_hh_l0"]["file"]


def _npy(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


CORRUPTIONS = {
    "truncated": lambda data: data[: len(data) // 2],
    "garbage array": lambda data: _rewrite(data, members={_weight_member(data): b"\x93NUMPY!!"}),
    "weights of the wrong shape": lambda data: _rewrite(
        data, members={_weight_member(data): _npy(np.zeros((3, 3), dtype=np.float32))}),
    "unknown node type": lambda data: _rewrite(
        data, lambda schema: next(_nodes(schema, "state_dict"))["state_dict"].update(
            __loader__="NoSuchNode")),
    "malformed schema": lambda data: _rewrite(data, members={"schema.json": b"{}"}),
}


@pytest.mark.parametrize("corrupt", CORRUPTIONS)
def test_a_corrupted_file_gives_the_libraries_own_error(fitted, corrupt, tmp_path):
    path = tmp_path / "model.skops"
    path.write_bytes(CORRUPTIONS[corrupt](sio.dumps(fitted["LSTMTrajectoryClassifier"][0])))
    with pytest.raises(ValueError, match="not a model file written by sklearn_cells.save") as err:
        load(path)
    assert str(path) in str(err.value)


# ------------------------------------------ gradient-boosting trees (booster_)
def _hist_gradient_boosting():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    return HistGradientBoostingClassifier(max_iter=3, random_state=0).fit(X, y), X


def _with_first_tree(data: bytes, **fields) -> bytes:
    """A copy of a saved HistGradientBoosting* whose first tree's root has ``fields``."""
    src = zipfile.ZipFile(io.BytesIO(data))
    schema = json.loads(src.read("schema.json"))
    tree = next(n for n in _nodes(schema, "__class__") if n["__class__"] == "TreePredictor")
    member = tree["content"]["content"]["nodes"]["file"]
    nodes = np.load(io.BytesIO(src.read(member)))
    for field, value in fields.items():
        nodes[0][field] = value
    return _rewrite(data, members={member: _npy(nodes)})


def test_gradient_boosting_trees_round_trip(tmp_path):
    model, X = _hist_gradient_boosting()
    np.testing.assert_array_equal(_round_trip(model, tmp_path).predict_proba(X),
                                  model.predict_proba(X))


@pytest.mark.parametrize(
    "fields",
    [{"left": 10**6}, {"right": 0}, {"feature_idx": 7}, {"is_categorical": 1, "bitset_idx": 9}],
    ids=["child outside the tree", "cycle", "unknown feature", "categorical split"],
)
def test_gradient_boosting_trees_that_scikit_learn_would_misread_are_refused(fields, tmp_path):
    """scikit-learn walks the nodes without bounds checks (out-of-bounds reads,
    endless loops), which is why skops does not trust TreePredictor."""
    model, _ = _hist_gradient_boosting()
    path = tmp_path / "model.skops"
    path.write_bytes(_with_first_tree(sio.dumps(model), **fields))
    with pytest.raises(ValueError, match=rf"{re.escape(str(path))}.*not a model file.*tree"):
        load(path)


def test_trusting_tree_predictor_skips_the_tree_check(tmp_path):
    model, _ = _hist_gradient_boosting()
    path = tmp_path / "model.skops"
    path.write_bytes(_with_first_tree(sio.dumps(model), is_categorical=1))
    name = "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"
    assert load(path, trusted=[name])._predictors[0][0].nodes[0]["is_categorical"] == 1
