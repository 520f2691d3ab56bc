"""Shared estimator machinery: device checks and seeding."""

import pytest
import torch

from sklearn_cells.base import check_device, torch_seed_context


def test_cpu_device_is_accepted():
    assert check_device("cpu") == "cpu"


@pytest.mark.skipif(torch.cuda.is_available(), reason="machine has CUDA")
def test_cuda_without_cuda_is_a_clear_error():
    with pytest.raises(ValueError, match="CUDA is not available.*device='cpu'"):
        check_device("cuda")


def test_unknown_device_string():
    with pytest.raises(ValueError, match="not a valid torch device"):
        check_device("gpu0")


def test_seed_context_is_reproducible_and_restores_the_callers_rng():
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    with torch_seed_context(0):
        a = torch.rand(3)
    with torch_seed_context(0):
        b = torch.rand(3)
    assert torch.equal(a, b)
    assert torch.equal(torch.rand(1), expected_next)  # caller's stream untouched


@pytest.mark.cuda
def test_cuda_device_is_accepted():
    assert check_device("cuda") == "cuda"


def test_plain_cuda_picks_the_gpu_with_most_free_memory(monkeypatch):
    free = {0: 2e9, 1: 9e9, 2: 5e9}
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 3)
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda i: (free[i], 10e9))
    assert check_device("cuda") == "cuda:1"
    assert check_device("cuda:2") == "cuda:2"  # an explicit index is kept
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert check_device("cuda") == "cuda"
