"""A fitted skorch net as plain data, and back.

skorch nets and torch modules hold code references that a safe format (skops)
must not load. :class:`~sklearn_cells.base.TorchEstimator` therefore saves its
``net_`` as plain data: the import path of the module class, the ``module__*``
parameters, the weights as numpy arrays and the history. pickle, joblib,
``copy.deepcopy`` and :func:`sklearn_cells.save` all go this way, so a saved
model never holds a reference to code outside ``sklearn_cells``.
"""

from __future__ import annotations

import contextlib
import importlib
import threading
from collections.abc import Iterator

import numpy as np
import torch
from skorch import NeuralNet
from skorch.history import History
from torch.overrides import TorchFunctionMode
from torch.nn.modules.module import (
    register_module_buffer_registration_hook,
    register_module_parameter_registration_hook,
)

__all__ = ["TORCH_MODULES", "net_to_plain", "plain_to_net"]


# The torch modules that the estimators build (the ``module=`` of their skorch
# nets), by import path: the only classes a saved net may name. A name from a
# file is looked up in this set, never imported, so a file cannot make loading
# run the top-level code of any other module.
TORCH_MODULES = frozenset({
    "sklearn_cells.image._lipnet._LipNetModule",
    "sklearn_cells.nn.attention.NextFramePredictor",
    "sklearn_cells.nn.lstm.LSTMSequenceClassifier",
    "sklearn_cells.nn.mdn.LSTMMixtureDensityNetwork",
    "sklearn_cells.nn.unet.UNet",
})


def _module_class(path) -> type | None:
    """The class of :data:`TORCH_MODULES` named ``path``, else None."""
    if not isinstance(path, str) or path not in TORCH_MODULES:
        return None
    module_name, _, name = path.rpartition(".")
    # Imported on use, not at the top: sklearn_cells.image._lipnet imports
    # sklearn_cells.base, which imports this module.
    return getattr(importlib.import_module(module_name), name)


def _plain(value, where: str, *, strict: bool = True):
    """``value`` as built-in Python values and numpy arrays only.

    ``strict=False`` (for the history) writes anything else as its ``repr``.
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray) and value.dtype != object:
        return value
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    if isinstance(value, (list, tuple)):
        items = [_plain(v, where, strict=strict) for v in value]
        return tuple(items) if isinstance(value, tuple) else items
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: _plain(v, f"{where}[{k!r}]", strict=strict) for k, v in value.items()}
    if not strict:
        return repr(value)
    raise TypeError(
        f"{where} is a {type(value).__name__}, which cannot be saved as plain data; the "
        "module of a TorchEstimator must be built from numbers, strings, bools, None and "
        "tuples, lists or dicts of them."
    )


def _unwrap(module: torch.nn.Module) -> torch.nn.Module:
    """The user's module inside a (Distributed)DataParallel or torch.compile wrapper."""
    while True:
        if isinstance(module, (torch.nn.DataParallel, torch.nn.parallel.DistributedDataParallel)):
            module = module.module
        elif isinstance(getattr(module, "_orig_mod", None), torch.nn.Module):
            module = module._orig_mod
        else:
            return module


def net_to_plain(net: NeuralNet) -> dict:
    """The state of a fitted skorch net as plain data (weights on the CPU)."""
    cls = net.module
    if not (isinstance(cls, type) and issubclass(cls, torch.nn.Module)):
        raise TypeError(
            f"net_.module must be a torch.nn.Module class to be saved; got "
            f"{type(cls).__name__}. Pass module=<class> and module__<name>=<value> to the "
            "skorch net instead of a module instance."
        )
    path = f"{cls.__module__}.{cls.__qualname__}"
    if path not in TORCH_MODULES:  # refused now rather than when loading
        raise TypeError(
            f"net_.module is {path}, which a saved sklearn_cells estimator cannot name: "
            f"only the modules of its estimators ({sorted(TORCH_MODULES)}) are loaded back."
        )
    module = _unwrap(net.module_)
    weights = module.state_dict()
    return {
        "module": path,
        "module_kwargs": {k: _plain(v, f"net_ parameter module__{k}")
                          for k, v in net.get_params_for("module").items()},
        "state_dict": {k: v.detach().cpu().numpy() for k, v in weights.items()},
        "history": _plain(list(net.history), "net_.history", strict=False),
        "device": str(next(iter(weights.values())).device) if weights else "cpu",
    }


# What torch layers create their parameters and buffers with, from sizes.
_FROM_SIZES = frozenset({torch.empty, torch.zeros, torch.ones, torch.full, torch.eye,
                         torch.arange, torch.linspace, torch.rand, torch.randn, torch.randint})


class _SizesOnMeta(TorchFunctionMode):
    """Tensors created from sizes go on the meta device, which records shapes
    and allocates nothing. Tensors created from data (``torch.tensor``,
    ``as_tensor``) stay on the CPU, so that a module can check the values it
    is given (the LSTM classifier checks its feature scales); that data comes
    from the file, which bounds its size.
    """

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in _FROM_SIZES and kwargs.get("device") is None:
            kwargs = {**kwargs, "device": "meta"}
        return func(*args, **kwargs)


class _TooManyTensors(Exception):
    pass


@contextlib.contextmanager
def _tensor_limit(limit: int) -> Iterator[None]:
    """Stop any module built in this thread at its ``limit + 1``-th parameter or buffer.

    Even on the meta device, ``n_layers=10**6`` would take minutes and
    gigabytes of Python objects to build.
    """
    thread, count = threading.get_ident(), 0

    def hook(module, name, tensor):
        nonlocal count
        if tensor is not None and threading.get_ident() == thread:
            count += 1
            if count > limit:
                raise _TooManyTensors

    handles = [register_module_parameter_registration_hook(hook),
               register_module_buffer_registration_hook(hook)]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def _check_shapes(cls: type, kwargs: dict, weights: dict[str, torch.Tensor]) -> None:
    """Refuse ``weights`` that do not fit ``cls(**kwargs)``, without building it for real.

    So a file of a few KB that asks for ``hidden_size=10**6`` is refused at
    once instead of allocating terabytes.
    """
    name = cls.__name__
    # Room for the small modules a constructor builds and drops (UNet builds a
    # norm layer to validate ``norm``); the exact comparison follows.
    limit = 2 * len(weights) + 64
    try:
        with _tensor_limit(limit), _SizesOnMeta():
            built = cls(**kwargs)
    except _TooManyTensors:
        raise ValueError(
            f"the saved weights do not fit the {name} that the saved module parameters "
            f"build: it has more than {limit} tensors, the file {len(weights)}."
        ) from None
    except Exception as exc:  # the module itself refuses the parameters
        raise ValueError(f"the saved module parameters do not build a {name}: {exc}") from exc
    expected = {key: str(tuple(value.shape)) for key, value in built.state_dict().items()}
    stored = {key: str(tuple(value.shape)) for key, value in weights.items()}
    for key in sorted(expected.keys() | stored.keys()):
        if expected.get(key) != stored.get(key):
            raise ValueError(
                f"the saved weights do not fit the {name} that the saved module parameters "
                f"build: its {key!r} has shape {expected.get(key, '(absent)')}, the file's "
                f"{stored.get(key, '(absent)')}."
            )


def plain_to_net(state: dict, net_class: type, *, device: str, **net_params) -> NeuralNet:
    """A skorch net for inference rebuilt from :func:`net_to_plain`'s data.

    Only ``module_``, ``device`` and ``history`` are set up: the net is not
    initialised (no criterion, optimizer or callbacks), which
    :class:`~sklearn_cells.base.TorchEstimator` recognises to rebuild a full
    net when training continues. The module class must be one of
    :data:`TORCH_MODULES` (allowing any class would let a crafted file run
    code), and the weights must fit the module that the saved parameters
    build, which is checked before it is built.
    """
    keys = {"module", "module_kwargs", "state_dict", "history"}
    if not (isinstance(state, dict) and keys <= state.keys()
            and isinstance(state["state_dict"], dict) and isinstance(state["history"], list)
            and isinstance(state["module_kwargs"], dict)
            and all(isinstance(k, str) for k in state["module_kwargs"])):
        raise TypeError(
            f"the saved net_ is malformed: expected a dict with {sorted(keys)}. The file is "
            "corrupted or was not written by sklearn_cells."
        )
    cls = _module_class(state["module"])
    if cls is None:
        raise TypeError(
            f"refusing to build the torch module {state['module']!r}: a saved sklearn_cells "
            f"estimator may only use the modules of its estimators ({sorted(TORCH_MODULES)}). "
            "The file is corrupted, was not written by sklearn_cells.save, or comes from a "
            "newer version."
        )
    weights = {}
    for name, value in state["state_dict"].items():
        if not (isinstance(value, np.ndarray) and value.dtype != object):
            raise TypeError(f"the saved weight {name!r} is not a numeric array.")
        weights[name] = torch.from_numpy(np.array(value))  # a writable copy of our own
    net = net_class(
        module=cls, criterion=None, device=device, history=History(state["history"]),
        **{f"module__{k}": v for k, v in state["module_kwargs"].items()}, **net_params,
    )
    # Building the module draws initial weights: keep the caller's torch RNG as it was.
    with torch.random.fork_rng(devices=[]):
        _check_shapes(cls, state["module_kwargs"], weights)
        # skorch's _initialize_module registers module_ (train/eval switching, device).
        net._initialize_module()
    # assign=True keeps the saved dtypes; names and shapes were checked above.
    net.module_.load_state_dict(weights, strict=True, assign=True)
    net.module_.to(device)
    return net
