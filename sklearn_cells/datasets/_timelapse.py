"""Synthetic time-lapse microscopy sequences with cell masks (seed 004's setting)."""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from sklearn.utils import check_random_state

from ..image._temporal import TimelapseFrames

__all__ = ["make_timelapse"]


def _smooth_field(rng, shape, sigma):
    """Zero-mean, unit-std smooth random field."""
    f = ndimage.gaussian_filter(rng.normal(size=shape), sigma, mode="wrap")
    return (f - f.mean()) / (f.std() + 1e-12)


def _stamp(canvas, cy, cx, a, b, theta, value_fn, mask=None, label=0, outline=0.0):
    """Add a soft-edged textured ellipse to ``canvas`` (and its hard mask to ``mask``),
    with a dark ring of depth ``outline`` about one pixel wide on its outline."""
    h, w = canvas.shape
    r = int(np.ceil(max(a, b))) + 2
    y0, y1 = max(int(cy) - r, 0), min(int(cy) + r + 1, h)
    x0, x1 = max(int(cx) - r, 0), min(int(cx) + r + 1, w)
    if y0 >= y1 or x0 >= x1:
        return
    yy, xx = np.mgrid[y0:y1, x0:x1]
    dy, dx = yy - cy, xx - cx
    c, s = np.cos(theta), np.sin(theta)
    u, v = (c * dx + s * dy) / a, (-s * dx + c * dy) / b
    d = np.sqrt(u**2 + v**2)  # 1 on the ellipse boundary
    edge = 1.0 / (1.0 + np.exp((d - 1.0) * 8.0))  # soft boundary, like a blurred optic
    canvas[y0:y1, x0:x1] += edge * value_fn(u, v, d)
    if outline:
        width = 1.0 / min(a, b)  # about one pixel, in units of the radius
        canvas[y0:y1, x0:x1] -= outline * np.exp(-(((d - 1.0) / width) ** 2))
    if mask is not None:
        inside = d < 1.0
        mask[y0:y1, x0:x1][inside] = label


def _background(rng, yy, xx, cell_radius, n_debris, microwell, illumination):
    """Static background of one sequence (debris, microwell edge) and its illumination."""
    h, w = yy.shape
    r_lo, r_hi = cell_radius
    bg = 0.25 * _smooth_field(rng, (h, w), sigma=max(h, w) / 6)
    if microwell:
        cy, cx = rng.uniform(0.3, 0.7) * h, rng.uniform(0.3, 0.7) * w
        radius = rng.uniform(0.55, 0.8) * max(h, w)
        dist = np.hypot(yy - cy, xx - cx) - radius
        bg += 1.2 * np.exp(-(dist / 1.5) ** 2) - 0.5 * (dist > 0)
    for _ in range(n_debris):
        amp = rng.choice([-1.0, 1.0]) * rng.uniform(0.6, 1.2)
        _stamp(bg, rng.uniform(0, h), rng.uniform(0, w), rng.uniform(r_lo * 0.6, r_hi),
               rng.uniform(r_lo * 0.6, r_hi), rng.uniform(0, np.pi),
               lambda u, v, d, amp=amp: amp * (1 - 0.3 * d))
    gy, gx = rng.normal(size=2)
    light = 1.0 + illumination * (gy * (yy / h - 0.5) + gx * (xx / w - 0.5))
    light = np.clip(light, 0.3, None)
    return bg, light


def _new_cell(rng, speed, y, x, a, b, cell_id):
    """A cell at ``(y, x)`` with semi-axes ``a, b`` and random velocity, turn and texture."""
    return dict(
        id=cell_id, y=y, x=x, vy=rng.normal() * speed, vx=rng.normal() * speed,
        a=a, b=b, theta=rng.uniform(0, np.pi), omega=rng.normal() * 0.1,
        phase=rng.uniform(0, 2 * np.pi), amp=rng.uniform(0.8, 1.3),
        kx=rng.uniform(1.5, 3.5), ky=rng.uniform(1.5, 3.5), grow=1.0,
    )


def _first_cells(rng, n_cells, cell_radius, h, w, speed, touching):
    """The cells of the first frame, the second of each touching pair following the first."""
    r_lo, r_hi = cell_radius
    cells = []
    for cell_id in range(1, n_cells + 1):
        a, b = sorted(rng.uniform(r_lo, r_hi, size=2))[::-1]
        cells.append(_new_cell(rng, speed, rng.uniform(r_hi, h - r_hi),
                               rng.uniform(r_hi, w - r_hi), a, b, cell_id))
    for k in range(round(touching * n_cells) // 2):  # second of a pair follows first
        cells[2 * k + 1].update(leader=cells[2 * k], angle=rng.uniform(0, 2 * np.pi))
    return cells


def _axes(c, t):
    """Semi-axes of cell ``c`` at frame ``t``."""
    # shape change: elongation oscillates, orientation drifts
    elong = 1.0 + 0.25 * np.sin(c["phase"] + 0.3 * t)
    return c["a"] * c["grow"] * elong ** 0.5, c["b"] * c["grow"] / elong ** 0.5


def _radius(c, t, angle):
    """Distance from the centre of cell ``c`` to its outline along ``angle`` at frame ``t``."""
    a, b = _axes(c, t)
    return 1.0 / np.hypot(np.cos(angle - c["theta"]) / a, np.sin(angle - c["theta"]) / b)


def _press_pairs(cells, t):
    """Place the second cell of each touching pair against its leader at frame ``t``."""
    for c in cells:
        if "leader" in c:  # pressed against its leader along the pair's angle
            lead, angle = c["leader"], c["angle"]
            dist = 0.9 * (_radius(lead, t, angle) + _radius(c, t, angle + np.pi))
            c["y"] = lead["y"] + dist * np.sin(angle)
            c["x"] = lead["x"] + dist * np.cos(angle)


def _draw_cells(canvas, mask, cells, t, outline):
    """Stamp every cell at frame ``t`` on ``canvas`` and its label on ``mask``."""
    for c in cells:
        a, b = _axes(c, t)

        def value(u, v, d, c=c):
            # bright textured body with a brighter rim (phase-contrast-like halo)
            tex = np.sin(c["kx"] * u + c["phase"]) * np.cos(c["ky"] * v)
            return c["amp"] * (0.75 + 0.25 * tex + 0.3 * d**4)

        _stamp(canvas, c["y"], c["x"], a, b, c["theta"], value, mask, c["id"], outline)


def _move_cell(rng, c, h, w, speed, persistence):
    """Move, turn and grow cell ``c`` for the next frame, reflecting it at the border."""
    c["vy"] = persistence * c["vy"] + np.sqrt(1 - persistence**2) * speed * rng.normal()
    c["vx"] = persistence * c["vx"] + np.sqrt(1 - persistence**2) * speed * rng.normal()
    c["y"] += c["vy"]
    c["x"] += c["vx"]
    # reflect at the frame border
    for key, vkey, size in (("y", "vy", h), ("x", "vx", w)):
        if c[key] < 0 or c[key] > size - 1:
            c[key] = float(np.clip(c[key], 0, size - 1))
            c[vkey] = -c[vkey]
    c["theta"] += c["omega"]
    c["grow"] = min(1.0, c["grow"] + 0.03)
    if "leader" in c:
        c["angle"] += 0.05 * rng.normal()


def _daughters(rng, c, speed, next_id):
    """The two smaller daughters of cell ``c``, with ids ``next_id`` and ``next_id + 1``."""
    off = 0.6 * c["a"]
    dy, dx = off * np.sin(c["theta"]), off * np.cos(c["theta"])
    daughters = []
    for sign in (-1, 1):
        d = _new_cell(rng, speed, c["y"] + sign * dy, c["x"] + sign * dx, c["a"], c["b"],
                      next_id)
        next_id += 1
        d.update(theta=c["theta"], grow=0.7, vy=c["vy"] + sign * dy * 0.3,
                 vx=c["vx"] + sign * dx * 0.3)
        daughters.append(d)
    return daughters


def _simulate_sequence(
    rng, frames, masks, bg, light, *, n_cells, cell_radius, speed, persistence,
    division_rate, touching, outline, noise,
):
    """Draw one sequence into ``frames`` and ``masks``; return its daughter -> mother ids."""
    h, w = bg.shape
    cells = _first_cells(rng, n_cells, cell_radius, h, w, speed, touching)
    next_id = n_cells + 1
    mothers = {}
    for t in range(frames.shape[0]):
        canvas = bg.copy()
        _press_pairs(cells, t)
        _draw_cells(canvas, masks[t], cells, t, outline)
        frames[t] = light * canvas + rng.normal(scale=noise, size=(h, w))

        # --- move, turn, grow and divide for the next frame ---------------------
        born = []
        for c in cells:
            _move_cell(rng, c, h, w, speed, persistence)
            paired = "leader" in c or any(d.get("leader") is c for d in cells)
            if (rng.uniform() < division_rate and len(cells) + len(born) < 2 * n_cells
                    and not paired):
                for d in _daughters(rng, c, speed, next_id):
                    born.append(d)
                    mothers[d["id"]] = c["id"]
                next_id += 2
                c["dead"] = True
        cells = [c for c in cells if not c.get("dead")] + born
    return mothers


def make_timelapse(
    n_sequences: int = 4,
    n_frames: int = 20,
    frame_shape: tuple[int, int] = (64, 64),
    *,
    n_cells: int = 5,
    cell_radius: tuple[float, float] = (3.5, 6.0),
    speed: float = 1.5,
    persistence: float = 0.8,
    division_rate: float = 0.01,
    n_debris: int = 6,
    microwell: bool = True,
    illumination: float = 0.4,
    noise: float = 0.15,
    touching: float = 0.0,
    outline: float = 0.0,
    instance_masks: bool = False,
    return_tracks: bool = False,
    random_state=None,
):
    """Generate time-lapse sequences of moving, dividing cells, with masks.

    Each sequence shows textured elliptical cells that move by persistent random walks,
    slowly turn and change their elongation, and sometimes divide, on a background with
    the clutter that the seed removes by temporal-median subtraction (section 6.4): static
    debris that looks like cells in any single frame, a bright microwell edge with a darker
    outside, and smooth multiplicative illumination; plus Gaussian camera noise. Only moving
    things are cells, so both background subtraction and temporal context help.

    Parameters
    ----------
    n_sequences : int, default=4
    n_frames : int, default=20
        Frames per sequence.
    frame_shape : (int, int), default=(64, 64)
        Height and width.
    n_cells : int, default=5
        Cells at the first frame (the count grows by division, up to twice this).
    cell_radius : (float, float), default=(3.5, 6.0)
        Range of the ellipses' semi-axes in pixels.
    speed : float, default=1.5
        Typical displacement per frame in pixels.
    persistence : float, default=0.8
        Correlation of successive velocities (0: Brownian, close to 1: straight runs).
    division_rate : float, default=0.01
        Probability per cell and frame of dividing into two smaller daughters.
    n_debris : int, default=6
        Static cell-like blobs per sequence (never foreground).
    microwell : bool, default=True
        Draw a microwell edge (a bright ring; darker outside).
    illumination : float, default=0.4
        Strength of the smooth multiplicative illumination gradient (0: uniform).
    noise : float, default=0.15
        Std of additive Gaussian noise (cell contrast is about 1).
    touching : float, default=0.0
        Fraction of the first frame's cells that come in touching pairs: the second cell
        of a pair follows the first, pressed against it (their outlines overlap by 10 %
        of the summed radii, where the masks meet and the image is brighter, as where
        the halos of touching cells add up), and the pair slowly turns. Pairs do not
        divide. The connected components of the masks merge such cells; instance
        segmentation must part them.
    outline : float, default=0.0
        Depth of a dark ring, about one pixel wide, on every cell's outline (cell
        contrast is about 1), as the halo of a cell in phase contrast: where two cells
        touch it draws the line between them, without which even an observer cannot
        part a touching pair. It changes the frames only, not the masks.
    instance_masks : bool, default=False
        Return instance labels (one id per cell, kept over time; daughters get new ids)
        instead of binary masks.
    return_tracks : bool, default=False
        Also return the true tracks: the track table of
        :func:`sklearn_cells.tracking.tracks_from_labels` on the instance labels (the
        cells as the masks show them: centroid and area of each mask), with the mother of
        every daughter as ``parent_id``. Needs pandas and scikit-image (``pip install
        'sklearn-cells[tracking]'``). It draws nothing more: ``X`` and ``y`` are those
        of the same call without it.
    random_state : int, RandomState instance or None

    Returns
    -------
    X : TimelapseFrames of shape (n_sequences * n_frames, H, W)
        float32 frames, with ``X.sequence_ids`` (use as ``groups`` for ``GroupKFold``)
        and ``X.frame_indices``.
    y : ndarray of int32, shape (n_sequences * n_frames, H, W)
        Binary masks (1 = cell), or instance labels when ``instance_masks=True``.
    tracks : pandas.DataFrame
        Only with ``return_tracks=True``: one row per cell and frame, columns
        ``sequence_id, track_id, t, y, x, area, parent_id`` (``track_id`` is the cell's
        instance label, unique within its sequence; ``t`` the frame within it).

    Examples
    --------
    >>> X, y = make_timelapse(n_sequences=2, n_frames=5, frame_shape=(32, 32), random_state=0)
    >>> X.shape, y.shape, sorted(set(X.sequence_ids.tolist()))
    ((10, 32, 32), (10, 32, 32), [0, 1])
    >>> X, y, tracks = make_timelapse(n_sequences=1, n_frames=5, frame_shape=(32, 32),
    ...                               return_tracks=True, random_state=0)
    >>> tracks.columns.tolist()
    ['sequence_id', 'track_id', 't', 'y', 'x', 'area', 'parent_id']
    """
    rng = check_random_state(random_state)
    h, w = (int(frame_shape[0]), int(frame_shape[1]))
    if not 0 <= touching <= 1:
        raise ValueError(f"touching={touching!r} must lie in [0, 1] (a fraction of the cells).")
    if n_sequences < 1 or n_frames < 1 or h < 8 or w < 8:
        raise ValueError(
            "need n_sequences >= 1, n_frames >= 1 and frames of at least 8x8 pixels; got "
            f"n_sequences={n_sequences}, n_frames={n_frames}, frame_shape={frame_shape}."
        )
    frames = np.empty((n_sequences * n_frames, h, w), dtype=np.float32)
    masks = np.zeros((n_sequences * n_frames, h, w), dtype=np.int32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    parents = {}  # (sequence, daughter id) -> mother id

    for s in range(n_sequences):
        bg, light = _background(rng, yy, xx, cell_radius, n_debris, microwell, illumination)
        block = slice(s * n_frames, (s + 1) * n_frames)  # views, written in place
        mothers = _simulate_sequence(
            rng, frames[block], masks[block], bg, light, n_cells=n_cells,
            cell_radius=cell_radius, speed=speed, persistence=persistence,
            division_rate=division_rate, touching=touching, outline=outline, noise=noise,
        )
        parents.update({(s, daughter): mother for daughter, mother in mothers.items()})

    sequence_ids = np.repeat(np.arange(n_sequences), n_frames)
    frame_indices = np.tile(np.arange(n_frames), n_sequences)
    tracks = None
    if return_tracks:
        from ..tracking import tracks_from_labels

        tracks = tracks_from_labels(masks, parents=parents, sequence_ids=sequence_ids)
    if not instance_masks:
        masks = (masks > 0).astype(np.int32)
    X = TimelapseFrames(frames, sequence_ids, frame_indices)
    return (X, masks, tracks) if return_tracks else (X, masks)
