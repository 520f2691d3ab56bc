"""A fitted skorch net as plain data, and back.

skorch nets and torch modules hold code references that a safe format (skops)
must not load. :class:`~sklearn_cells.base.TorchEstimator` therefore saves its
``net_`` as plain data: the import path of the module class, the ``module__*``
parameters, the weights as numpy arrays and the history. pickle, joblib,
``copy.deepcopy`` and :func:`sklearn_cells.save` all go this way, so a saved
model never holds a reference to code outside ``sklearn_cells``.
"""

from __future__ import annotations

import importlib

import numpy as np
import torch
from skorch import NeuralNet
from skorch.history import History

__all__ = ["net_to_plain", "plain_to_net", "resolve_class"]


def resolve_class(path, packages: tuple[str, ...], base: type) -> type | None:
    """The class named ``path`` ("module.Name") if it is a ``base`` defined in
    one of ``packages``, else None.

    Importing a module of those packages runs only their own code, so this is
    safe on names read from an untrusted file.
    """
    if not isinstance(path, str):
        return None
    module_name, _, name = path.rpartition(".")
    if module_name.split(".")[0] not in packages:
        return None
    try:
        cls = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError, ValueError):
        return None
    if (isinstance(cls, type) and issubclass(cls, base)
            and cls.__module__ == module_name and cls.__qualname__ == name):
        return cls
    return None


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
    module = _unwrap(net.module_)
    weights = module.state_dict()
    return {
        "module": f"{cls.__module__}.{cls.__qualname__}",
        "module_kwargs": {k: _plain(v, f"net_ parameter module__{k}")
                          for k, v in net.get_params_for("module").items()},
        "state_dict": {k: v.detach().cpu().numpy() for k, v in weights.items()},
        "history": _plain(list(net.history), "net_.history", strict=False),
        "device": str(next(iter(weights.values())).device) if weights else "cpu",
    }


def plain_to_net(state: dict, net_class: type, *, device: str, **net_params) -> NeuralNet:
    """A skorch net for inference rebuilt from :func:`net_to_plain`'s data.

    Only ``module_``, ``device`` and ``history`` are set up: the net is not
    initialised (no criterion, optimizer or callbacks), which
    :class:`~sklearn_cells.base.TorchEstimator` recognises to rebuild a full
    net when training continues. The module class must be a ``torch.nn.Module``
    defined in ``sklearn_cells``: allowing any class would let a crafted file
    run code.
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
    cls = resolve_class(state["module"], ("sklearn_cells",), torch.nn.Module)
    if cls is None:
        raise TypeError(
            f"refusing to build the torch module {state['module']!r}: a saved sklearn_cells "
            "estimator may only use torch.nn.Module classes defined in sklearn_cells. The "
            "file is corrupted, was not written by sklearn_cells.save, or comes from a "
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
    # skorch's _initialize_module registers module_ (train/eval switching, device).
    with torch.random.fork_rng(devices=[]):
        net._initialize_module()
    # assign=True keeps the saved dtypes; shapes and names are still checked.
    net.module_.load_state_dict(weights, strict=True, assign=True)
    net.module_.to(device)
    return net
