"""Tests for the plain-torch LSTM mixture density network (sklearn_cells.nn.mdn)."""

import math

import pytest
import torch
import torch.distributions as D

from sklearn_cells.nn import mdn
from sklearn_cells.nn.mdn import (
    LSTMMixtureDensityNetwork,
    MixtureDensityHead,
    MixtureNLLLoss,
    MixtureParameters,
    mixture_log_prob,
    mixture_mean,
    mixture_nll_loss,
    sample_mixture,
)


def assert_close(actual, expected, atol=1e-5, rtol=1e-4):
    # torch.allclose rather than torch.testing.assert_close: the latter's
    # first call imports much of torch and costs seconds.
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    assert torch.allclose(actual, expected, atol=atol, rtol=rtol), (actual - expected).abs().max()


def _reference_log_prob(params, target):
    scales = params.scales.expand_as(params.means)
    mixture = D.MixtureSameFamily(
        D.Categorical(logits=params.log_weights), D.Independent(D.Normal(params.means, scales), 1)
    )
    return mixture.log_prob(target)


@pytest.mark.parametrize("covariance", ["diagonal", "isotropic"])
def test_log_prob_matches_torch_distributions(covariance):
    torch.manual_seed(0)
    head = MixtureDensityHead(6, n_dims=3, n_components=4, covariance=covariance)
    params = head(torch.randn(2, 5, 6))
    assert params.scales.shape[-1] == (3 if covariance == "diagonal" else 1)
    target = torch.randn(2, 5, 3)
    assert_close(mixture_log_prob(params, target), _reference_log_prob(params, target))
    assert_close(params.log_weights.exp().sum(-1), torch.ones(2, 5))


def test_sigma_floor_and_finite_loss_far_in_the_tails():
    head = MixtureDensityHead(4, n_dims=2, n_components=3, sigma_min=1e-2)
    with torch.no_grad():
        head.scales.bias.fill_(-1e4)  # softplus -> 0: only the floor is left
    features = torch.randn(8, 4, requires_grad=True)
    params = head(features)
    assert torch.all(params.scales >= 1e-2)
    target = torch.full((8, 2), 1e6)  # a Levy-flight-sized step
    loss = mixture_nll_loss(params, target)
    loss.backward()
    assert torch.isfinite(loss) and loss > 1e10
    assert torch.isfinite(features.grad).all()


def test_mask_ignores_padding_even_if_infinite():
    torch.manual_seed(0)
    params = MixtureDensityHead(4, 2, 3)(torch.randn(2, 6, 4))
    target = torch.randn(2, 6, 2)
    mask = torch.ones(2, 6, dtype=torch.bool)
    mask[1, 3:] = False
    padded = target.clone()
    padded[1, 3:] = float("inf")
    expected = -torch.cat([mixture_log_prob(params, target)[0], mixture_log_prob(params, target)[1, :3]]).mean()
    assert_close(mixture_nll_loss(params, padded, mask), expected)
    assert_close(MixtureNLLLoss()(params, padded, mask), expected)


def test_sample_mixture_follows_weights_means_and_scales():
    n = 100_000
    params = MixtureParameters(
        torch.log(torch.tensor([0.2, 0.8])).expand(n, 2),
        torch.tensor([[-5.0, 0.0], [5.0, 1.0]]).expand(n, 2, 2),
        torch.tensor([[1.0], [2.0]]).expand(n, 2, 1),
    )
    draws = sample_mixture(params, torch.Generator().manual_seed(0))
    assert draws.shape == (n, 2)
    assert abs(float((draws[:, 0] > 0).float().mean()) - 0.8) < 0.01
    assert_close(draws.mean(0), mixture_mean(params)[0], atol=0.05, rtol=0)
    upper = draws[draws[:, 0] > 0]
    assert abs(float(upper[:, 1].std()) - 2.0) < 0.05


def test_bad_head_arguments():
    with pytest.raises(ValueError, match="covariance"):
        MixtureDensityHead(4, 2, covariance="full")
    with pytest.raises(ValueError, match="sigma_min"):
        MixtureDensityHead(4, 2, sigma_min=0)
    with pytest.raises(ValueError, match="ema_decays"):
        LSTMMixtureDensityNetwork(2, ema_decays=(1.0,))
    with pytest.raises(ValueError, match="n_profiles"):
        LSTMMixtureDensityNetwork(2, n_profiles=0)


def test_autoregressive_head_adds_a_bounded_gain_times_the_last_value():
    torch.manual_seed(0)
    head = MixtureDensityHead(6, n_dims=2, n_components=3, autoregressive=True)
    features, last = torch.randn(4, 6), 100 * torch.randn(4, 2)
    with_last, at_zero = head(features, last), head(features, torch.zeros(4, 2))
    gain = (with_last.means - at_zero.means) / last.unsqueeze(-2)
    assert_close(gain, torch.tanh(head.gains(features)).reshape(4, 3, 2))
    assert gain.abs().max() < 1  # a generated walk cannot run away
    assert_close(with_last.scales, at_zero.scales)
    with pytest.raises(ValueError, match="needs the last value"):
        head(features)


def test_labels_required_exactly_for_conditional_models():
    v = torch.randn(2, 5, 3)
    with pytest.raises(ValueError, match="pass labels"):
        LSTMMixtureDensityNetwork(3, n_classes=2)(v)
    with pytest.raises(ValueError, match="n_classes=0"):
        LSTMMixtureDensityNetwork(3)(v, torch.tensor([0, 1]))


def test_continuing_from_state_equals_one_pass():
    torch.manual_seed(0)
    model = LSTMMixtureDensityNetwork(
        3, hidden_size=8, n_classes=2, ema_decays=(0.9, 0.5), running_mean=True,
        position_offset=True, running_persistence=True, autoregressive=True,
    )
    v, labels = torch.randn(4, 30, 3), torch.tensor([0, 1, 1, 0])
    full, _ = model(v, labels)
    _, state = model(v[:, :12], labels)
    rest, _ = model(v[:, 12:], labels, state)
    assert_close(full.means[:, 12:], rest.means)
    assert_close(full.scales[:, 12:], rest.scales)


def test_moving_averages_are_exact_over_chunks():
    x = torch.randn(2, 600, 3, dtype=torch.float64)
    got = mdn._moving_averages(x, (0.9, 0.5), None)
    state = torch.zeros(2, 2, 3, dtype=torch.float64)
    decay = torch.tensor([0.9, 0.5], dtype=torch.float64)[:, None]
    expected = []
    for t in range(600):
        state = decay * state + (1 - decay) * x[:, t, None]
        expected.append(state)
    assert_close(got, torch.stack(expected, 1))


def test_running_mean_is_the_mean_since_the_start():
    torch.manual_seed(0)
    model = LSTMMixtureDensityNetwork(2, hidden_size=8, running_mean=True)
    v = torch.randn(3, 25, 2)
    _, state = model(v[:, :10])
    _, state = model(v[:, 10:], state=state)
    expected = mdn._with_norm(v).mean(1)
    assert_close(state.running_sum / state.n_seen, expected)
    assert_close(state.n_seen, torch.full((3, 1), 25.0))


def test_position_offset_is_from_the_mean_position_so_far():
    torch.manual_seed(0)
    model = LSTMMixtureDensityNetwork(2, hidden_size=8, position_offset=True)
    v = torch.randn(3, 25, 2, dtype=torch.float64)
    _, state = model.double()(v[:, :10])
    x, _ = model._features(v[:, 10:], None, None, state)
    positions = v.cumsum(1)
    for t in range(10, 25):
        expected = torch.asinh(positions[:, t] - positions[:, : t + 1].mean(1))
        assert_close(x[:, t - 10, 2:], expected)


def test_running_persistence_is_the_lag_coefficient_so_far():
    torch.manual_seed(0)
    model = LSTMMixtureDensityNetwork(2, hidden_size=8, running_persistence=True).double()
    v = torch.randn(3, 25, 2, dtype=torch.float64)
    v[:, 1:] += 0.8 * v[:, :-1]  # some persistence
    _, state = model(v[:, :10])
    x, _ = model._features(v[:, 10:], None, None, state)
    for t in range(10, 25):
        products = (v[:, 1 : t + 1] * v[:, :t]).sum((1, 2))
        power = (v[:, :t] ** 2).sum((1, 2))
        assert_close(x[:, t - 10, -1], (products / (power + 1e-2)).clamp(-1, 1))
    x, _ = model._features(v[:, :1], None, None, None)
    assert_close(x[:, 0, -1], torch.zeros(3, dtype=torch.float64))  # nothing to go on yet


def test_encode_with_lengths_ignores_padding():
    torch.manual_seed(0)
    model = LSTMMixtureDensityNetwork(
        2, hidden_size=8, n_classes=2, ema_decays=(0.9,), n_profiles=2, running_mean=True,
        position_offset=True, running_persistence=True,
    )
    v, labels, lengths = torch.randn(3, 10, 2), torch.tensor([0, 1, 1]), torch.tensor([10, 4, 1])
    profiles = torch.tensor([0, 1, 1])
    state = model.encode(v, lengths=lengths, labels=labels, profiles=profiles)
    for i in range(3):
        _, alone = model(v[i : i + 1, : lengths[i]], labels[i : i + 1], profiles=profiles[i : i + 1])
        assert_close(state.h[:, i : i + 1], alone.h)
        assert_close(state.averages[i : i + 1], alone.averages)
        assert_close(state.running_sum[i : i + 1], alone.running_sum)
        assert_close(state.n_seen[i : i + 1], alone.n_seen)
        assert_close(state.position_sum[i : i + 1], alone.position_sum)
        assert_close(state.lag_sums[i : i + 1], alone.lag_sums)
        assert_close(state.last_input[i : i + 1], alone.last_input)


@pytest.mark.parametrize(
    "options",
    [
        dict(running_mean=True, position_offset=True, running_persistence=True, autoregressive=True),
        dict(position_offset=True),
        dict(running_mean=True),
        dict(running_persistence=True),
        dict(autoregressive=True),
    ],
)
def test_batched_sampler_follows_the_forward_pass(monkeypatch, options):
    """With the draw replaced by the mixture mean, the step-by-step sampler must
    reproduce exactly what one forward pass over its own output predicts."""
    torch.manual_seed(0)
    model = LSTMMixtureDensityNetwork(
        3, hidden_size=8, n_classes=2, ema_decays=(0.9,), n_profiles=2, **options
    )
    monkeypatch.setattr(mdn, "sample_mixture", lambda params, generator=None: mixture_mean(params))
    labels = torch.tensor([0, 1, 1])
    seed = torch.randn(3, 4, 3)
    profiles = torch.tensor([1, 0, 1])
    out = model.sample(20, seed=seed, labels=labels, profiles=profiles)
    params, _ = model(torch.cat([seed, out[:, :-1]], dim=1), labels, profiles=profiles)
    assert_close(mixture_mean(params)[:, 3:], out)


def test_sampler_with_ragged_seeds_equals_each_seed_alone(monkeypatch):
    """Padding of shorter seeds must not reach the state or the last step that
    an autoregressive head scales."""
    torch.manual_seed(0)
    model = LSTMMixtureDensityNetwork(
        2, hidden_size=8, ema_decays=(0.9,), running_mean=True, position_offset=True,
        running_persistence=True, autoregressive=True,
    )
    monkeypatch.setattr(mdn, "sample_mixture", lambda params, generator=None: mixture_mean(params))
    seed, lengths = torch.randn(3, 6, 2), torch.tensor([6, 2, 4])
    together = model.sample(8, seed=seed, seed_lengths=lengths)
    for i in range(3):
        alone = model.sample(8, seed=seed[i : i + 1, : lengths[i]])
        assert_close(together[i : i + 1], alone)


def test_log_likelihood_sums_profiles_out_exactly():
    torch.manual_seed(0)
    model = LSTMMixtureDensityNetwork(2, hidden_size=8, n_components=2, n_classes=2, n_profiles=3)
    with torch.no_grad():
        model.profile_logits.normal_()
    v, labels = torch.randn(4, 12, 2), torch.tensor([0, 1, 1, 0])
    mask = torch.ones(4, 11, dtype=torch.bool)
    mask[2, 5:] = False
    got = model.log_likelihood(v[:, :-1], v[:, 1:], mask, labels)
    per_profile = []
    for k in range(3):
        params, _ = model(v[:, :-1], labels, profiles=torch.full((4,), k))
        step = mixture_log_prob(params, v[:, 1:]) * mask
        per_profile.append(step.sum(1))
    prior = torch.log_softmax(model.profile_logits[labels], dim=-1)
    expected = torch.logsumexp(prior + torch.stack(per_profile, 1), dim=1)
    assert_close(got, expected)


def test_one_profile_is_the_plain_sequence_likelihood():
    torch.manual_seed(0)
    model = LSTMMixtureDensityNetwork(3, hidden_size=8, n_components=2)
    v = torch.randn(3, 9, 3)
    params, _ = model(v[:, :-1])
    assert_close(
        model.log_likelihood(v[:, :-1], v[:, 1:]), mixture_log_prob(params, v[:, 1:]).sum(1)
    )
    assert_close(model.predictive_mean(v[:, :-1]), mixture_mean(params))


def test_predictive_mean_weights_profiles_by_their_posterior():
    torch.manual_seed(0)
    model = LSTMMixtureDensityNetwork(2, hidden_size=8, n_components=2, n_profiles=2)
    v = torch.randn(2, 8, 2)
    got = model.predictive_mean(v[:, :-1])
    t = 4  # check one step by hand
    means, log_post = [], []
    for k in range(2):
        params, _ = model(v[:, :-1], profiles=torch.full((2,), k))
        means.append(mixture_mean(params)[:, t])
        log_post.append(mixture_log_prob(params, v[:, 1:])[:, :t].sum(1))
    prior = torch.log_softmax(model.profile_logits[0], dim=-1)
    weights = torch.softmax(torch.stack(log_post, 1) + prior, dim=1)
    assert_close(got[:, t], (weights[..., None] * torch.stack(means, 1)).sum(1))


def test_profiles_are_drawn_from_their_weights():
    model = LSTMMixtureDensityNetwork(2, hidden_size=4, n_components=1, n_profiles=2)
    with torch.no_grad():
        model.profile_logits.copy_(torch.tensor([[0.0, 20.0]]))
    drawn = model._draw_profiles(torch.zeros(500, 1, 2), None, None, torch.Generator().manual_seed(0))
    assert drawn.float().mean() > 0.99
    with pytest.raises(ValueError, match="pass profiles"):
        model(torch.zeros(2, 3, 2))


def test_sample_shapes_and_reproducibility():
    model = LSTMMixtureDensityNetwork(2, hidden_size=8, n_components=3)
    a = model.sample(15, n_samples=4, generator=torch.Generator().manual_seed(1))
    b = model.sample(15, n_samples=4, generator=torch.Generator().manual_seed(1))
    c = model.sample(15, n_samples=4, generator=torch.Generator().manual_seed(2))
    assert a.shape == (4, 15, 2)
    assert_close(a, b)
    assert not torch.equal(a, c)
    with pytest.raises(ValueError, match="n_samples"):
        model.sample(5)


def test_hand_written_loop_learns_a_persistent_process():
    """The module trains in a plain loop: on an AR(1) velocity process it must
    beat the best i.i.d. Gaussian (the NLL a memoryless model can reach)."""
    torch.manual_seed(0)
    n, steps, q = 32, 30, 0.9
    v = torch.empty(n, steps, 2)
    v[:, 0] = torch.randn(n, 2)
    for t in range(1, steps):
        v[:, t] = q * v[:, t - 1] + math.sqrt(1 - q**2) * torch.randn(n, 2)
    model = LSTMMixtureDensityNetwork(2, hidden_size=8, n_components=2)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-2)
    for _ in range(80):
        params, _ = model(v[:, :-1])
        loss = mixture_nll_loss(params, v[:, 1:])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    iid_nll = 2 * 0.5 * math.log(2 * math.pi * math.e)  # unit-variance marginal
    ar_nll = iid_nll + 2 * 0.5 * math.log(1 - q**2)  # the true conditional
    assert loss.item() < iid_nll - 0.5 * (iid_nll - ar_nll)


@pytest.mark.cuda
def test_sampling_on_cuda_matches_shapes():
    model = LSTMMixtureDensityNetwork(3, hidden_size=8, n_classes=2, ema_decays=(0.9,)).cuda()
    labels = torch.tensor([0, 1], device="cuda")
    out = model.sample(10, labels=labels, generator=torch.Generator(device="cuda").manual_seed(0))
    assert out.device.type == "cuda" and out.shape == (2, 10, 3)
