"""Synthetic time-lapse videos of migrating cells with events at known frames.

Seed study 001 looks for "interesting" moments in long migration videos
without labels. To check an unsupervised frame-importance method against
ground truth, :func:`make_migration_videos` renders a few cells as noisy
elliptical blobs that crawl across the frame and, at known frames, change
abruptly:

``"turn"``
    the cell changes its direction of migration by 90 to 150 degrees;
``"rounding"``
    the cell rounds up (smaller, brighter, circular) and nearly stops, as
    cells do before mitosis;
``"spreading"``
    the cell flattens out (larger, dimmer, elongated) and crawls off in a
    new direction;
``"division"``
    the cell splits into two round daughters that move apart.

Between events the cells move persistently with a little jitter in speed,
direction and shape, so ordinary frames are not perfectly static either.

These events are visible as raw pixel change: the frame at an event differs
from the one before far more than ordinary frames do, so a model-free
baseline (mean squared change from the previous frame) finds them about as
well as a network. ``events="hard"`` draws events that change how a cell
moves but not how much the picture changes from one frame to the next. Its
cells carry three protrusions that travel around their outline, and their
bodies turn smoothly (only their steps wobble). The events:

``"quiet_turn"``
    the cell changes its direction of migration by 90 to 150 degrees at
    constant speed and shape; its body turns to the new heading gradually
    (at most 0.08 radians, 5 degrees, per frame);
``"protrusion_reversal"``
    the protrusions reverse the direction in which they travel around the
    cell, at constant speed and area;
``"slowdown"``
    the cell nearly stops, as cells do before dividing, while its
    protrusions travel faster, so that the picture changes as much per frame
    as while it crawled.

Only a model of the motion (what the next frame should look like) can tell
these frames from ordinary ones: the change from the previous frame is no
larger there (``benchmarks/bench_frame_importance.py``).
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils import check_random_state

__all__ = ["EVENT_KINDS", "HARD_EVENT_KINDS", "make_migration_videos"]

EVENT_KINDS = ("turn", "rounding", "spreading", "division")
HARD_EVENT_KINDS = ("quiet_turn", "protrusion_reversal", "slowdown")
_FAMILIES = {"ordinary": EVENT_KINDS, "hard": HARD_EVENT_KINDS}

# Shape (semi-axes along / across the direction of motion), brightness and
# speed (pixels per frame) of each cell state, for a 32-pixel frame; they are
# scaled with ``frame_size``.
_STATES = {
    "migrating": dict(a=3.2, b=1.7, intensity=0.8, speed=0.7),
    "round": dict(a=2.0, b=2.0, intensity=1.0, speed=0.08),
    "spread": dict(a=4.3, b=2.7, intensity=0.55, speed=0.55),
    "daughter": dict(a=1.9, b=1.6, intensity=0.9, speed=0.6),
    # events="hard": same body as "migrating", nearly stopped.
    "stalled": dict(a=3.2, b=1.7, intensity=0.8, speed=0.07),
}

# Protrusions of the cells of events="hard": round lobes on the outline,
# equally spaced, travelling around it at ``_SPIN[state]`` radians per frame.
# The stalled spin was calibrated so that the mean squared change between
# noise-free frames is the same as while crawling (1.01 and 1.03 times it at
# ``frame_size`` 32 and 64, 60 videos).
_LOBES = dict(n=3, sigma=0.9, intensity=0.5, offset=0.3)
_SPIN = {"migrating": 0.25, "stalled": 0.47}
# Fastest turn of a body towards its heading (radians per frame) after a
# quiet turn. Frame change found quiet turns with AUC 0.62 at 0.12 and 0.55 at
# 0.08 or 0.06 (300 videos; a random frame mid-video scores 0.53, as change
# rises over a video): what remains is that a body moving obliquely changes
# more pixels than one moving along its long axis.
_TURN_RATE = 0.08
# Cells of events="hard" keep a smooth body orientation (only their steps
# wobble) and their axes jitter by +-2 % per frame instead of +-7 %: with
# the default jitter, unpredictable change from frame to frame hid the events
# from a motion model too (pixel extrapolation: AUC 0.66 instead of 0.76).
_SHAPE_JITTER = 0.3


def _render(cells, size, scale, jitter, grid):
    """Draw the cells of one frame as sums of anisotropic Gaussians."""
    yy, xx = grid
    frame = np.zeros((size, size))
    for cell, (ja, jb) in zip(cells, jitter):
        shape = _STATES[cell["state"]]
        a, b = shape["a"] * scale * ja, shape["b"] * scale * jb
        angle = cell.get("angle", cell["theta"])
        c, s = np.cos(angle), np.sin(angle)
        dx, dy = xx - cell["x"], yy - cell["y"]
        u, v = c * dx + s * dy, -s * dx + c * dy
        frame += shape["intensity"] * np.exp(-0.5 * ((u / a) ** 2 + (v / b) ** 2))
        if "phase" in cell:
            frame += _protrusions(cell, a, b, c, s, scale, dx, dy)
    return frame


def _protrusions(cell, a, b, c, s, scale, dx, dy):
    """Round lobes just outside the elliptical outline, at the cell's phase."""
    phi = cell["phase"] + 2 * np.pi * np.arange(_LOBES["n"]) / _LOBES["n"]
    # Radius of the ellipse in direction phi (body frame), pushed outwards.
    radius = a * b / np.hypot(b * np.cos(phi), a * np.sin(phi)) + _LOBES["offset"] * scale
    pu, pv = radius * np.cos(phi), radius * np.sin(phi)
    px, py = c * pu - s * pv, s * pu + c * pv
    sigma = _LOBES["sigma"] * scale
    out = 0.0
    for x, y in zip(px, py):
        out = out + np.exp(-0.5 * ((dx - x) ** 2 + (dy - y) ** 2) / sigma**2)
    return _LOBES["intensity"] * out


def _new_direction(cell, size, rng, min_turn=np.pi / 2, max_turn=5 * np.pi / 6):
    """A turn of 90-150 degrees, the side chosen to head back to the centre."""
    angle = rng.uniform(min_turn, max_turn)
    to_centre = np.arctan2(size / 2 - cell["y"], size / 2 - cell["x"])
    options = [cell["theta"] + angle, cell["theta"] - angle]
    return max(options, key=lambda th: np.cos(th - to_centre))


def _apply_event(cells, kind, index, size, rng):
    cell = cells[index]
    if kind in ("turn", "quiet_turn"):  # a quiet turn's body follows gradually
        cell["theta"] = _new_direction(cell, size, rng)
    elif kind == "protrusion_reversal":
        cell["spin"] = -cell["spin"]
    elif kind == "slowdown":
        cell["state"] = "stalled"
    elif kind == "rounding":
        cell["state"] = "round"
    elif kind == "spreading":
        cell["state"] = "spread"
        cell["theta"] = _new_direction(cell, size, rng, np.pi / 3, np.pi)
    elif kind == "division":
        axis = rng.uniform(0, np.pi)
        offset = 1.6 * size / 32
        daughters = []
        for sign in (1.0, -1.0):
            theta = axis if sign > 0 else axis + np.pi
            daughters.append(
                dict(
                    x=cell["x"] + sign * offset * np.cos(axis),
                    y=cell["y"] + sign * offset * np.sin(axis),
                    theta=theta,
                    state="daughter",
                    divided=True,
                )
            )
        cells[index : index + 1] = daughters


def _valid_kinds(cell, kinds):
    valid = []
    for kind in kinds:
        if kind == "turn" and cell["state"] in ("migrating", "spread", "daughter"):
            valid.append(kind)
        elif kind == "rounding" and cell["state"] != "round":
            valid.append(kind)
        elif kind == "spreading" and cell["state"] != "spread":
            valid.append(kind)
        elif kind == "division" and not cell.get("divided", False):
            valid.append(kind)
        elif kind in ("quiet_turn", "slowdown") and cell["state"] == "migrating":
            valid.append(kind)
        elif kind == "protrusion_reversal":
            valid.append(kind)
    return valid


def _wrap(angle):
    """An angle in [-pi, pi)."""
    return (angle + np.pi) % (2 * np.pi) - np.pi


def _event_frames(n_frames, n_events, min_gap, rng):
    """Event frames at least ``min_gap`` apart and away from both ends."""
    first, last = min_gap, n_frames - max(2, min_gap // 2)
    for _ in range(1000):
        frames = np.sort(rng.choice(np.arange(first, last), n_events, replace=False))
        if n_events < 2 or np.diff(frames).min() >= min_gap:
            return frames
    raise ValueError(
        f"could not place {n_events} events at least {min_gap} frames apart in "
        f"{n_frames} frames; use more frames (n_frames) or fewer events (n_events)."
    )


def _new_cells(n_cells, size, hard, rng):
    """Crawling cells near the centre, heading anywhere (with protrusions if ``hard``)."""
    cells = []
    for _ in range(n_cells):
        cells.append(
            dict(
                x=rng.uniform(0.35, 0.65) * size,
                y=rng.uniform(0.35, 0.65) * size,
                theta=rng.uniform(0, 2 * np.pi),
                state="migrating",
            )
        )
        if hard:  # a body orientation that lags the heading, and protrusions
            cells[-1].update(
                orient=cells[-1]["theta"],
                phase=rng.uniform(0, 2 * np.pi),
                spin=float(rng.choice([-1.0, 1.0])),
            )
    return cells


def _random_event(cells, kinds, size, rng):
    """Apply one of ``kinds`` to a random cell that can take it; its kind, or None if none can."""
    index = int(rng.integers(len(cells)))
    valid = _valid_kinds(cells[index], kinds)
    if not valid:  # e.g. a turn asked of a round cell: try the others
        candidates = [i for i, c in enumerate(cells) if _valid_kinds(c, kinds)]
        if not candidates:
            return None
        index = int(rng.choice(candidates))
        valid = _valid_kinds(cells[index], kinds)
    kind = str(rng.choice(valid))
    _apply_event(cells, kind, index, size, rng)
    return kind


def _move(cell, size, scale, wobble, speed_jitter, hard, rng):
    """Advance one cell by one frame."""
    # A persistent heading that drifts slowly (curving gently back when far
    # from the centre, an ordinary chemotactic drift, not an event), and noisy
    # steps around it: each frame's direction, orientation and speed wobble
    # independently.
    to_centre = np.arctan2(size / 2 - cell["y"], size / 2 - cell["x"])
    off_centre = np.hypot(size / 2 - cell["y"], size / 2 - cell["x"]) / size
    pull = 1.5 * max(0.0, off_centre - 0.15)
    cell["theta"] += rng.normal(0, 0.03) + pull * np.sin(to_centre - cell["theta"])
    cell["angle"] = cell["theta"] + rng.normal(0, wobble)
    direction = cell["angle"]
    if hard:
        # The body turns towards the heading at a bounded rate, without
        # wobble; protrusions travel on around it.
        lag = _wrap(cell["theta"] - cell["orient"])
        cell["orient"] += np.clip(lag, -_TURN_RATE, _TURN_RATE)
        cell["angle"] = cell["orient"]
        cell["phase"] += cell["spin"] * _SPIN[cell["state"]] * rng.uniform(
            1 - speed_jitter, 1 + speed_jitter
        )
    speed = _STATES[cell["state"]]["speed"] * scale
    speed *= rng.uniform(1 - speed_jitter, 1 + speed_jitter)
    cell["x"] += speed * np.cos(direction)
    cell["y"] += speed * np.sin(direction)


def _in_view(cells, size, margin) -> bool:
    """Whether every cell is at least ``margin`` pixels inside the frame."""
    return all(
        margin <= c["x"] <= size - margin and margin <= c["y"] <= size - margin for c in cells
    )


def _simulate(
    n_frames, size, n_cells, n_events, kinds, noise, min_gap, wobble, speed_jitter, hard, rng
):
    """One video and the event kind at each frame ("" between events)."""
    scale = size / 32
    margin = 4.5 * scale
    grid = np.mgrid[0:size, 0:size].astype(np.float64)
    stuck = False  # whether some draw ran out of cells that could take an event
    for _ in range(200):  # redraw videos whose cells leave the field of view
        frames = _event_frames(n_frames, n_events, min_gap, rng)
        cells = _new_cells(n_cells, size, hard, rng)
        video = np.empty((n_frames, size, size))
        kinds_at = np.full(n_frames, "", dtype=object)
        ok = True
        for t in range(n_frames):
            if t in frames:
                kind = _random_event(cells, kinds, size, rng)
                if kind is None:
                    ok, stuck = False, True
                    break
                kinds_at[t] = kind
            if t > 0:
                for cell in cells:
                    _move(cell, size, scale, wobble, speed_jitter, hard, rng)
            if not _in_view(cells, size, margin):
                ok = False
                break
            jitter = rng.uniform(0.93, 1.07, size=(len(cells), 2))
            if hard:
                jitter = 1 + _SHAPE_JITTER * (jitter - 1)
            video[t] = _render(cells, size, scale, jitter, grid)
        if ok:
            video += rng.normal(0, noise, size=video.shape)
            return video, kinds_at
    if stuck:
        raise ValueError(
            f"could not place {n_events} events of kinds {kinds} on {n_cells} cell(s): "
            "a cell rounds, spreads, slows down or divides at most once (and a "
            "quiet turn or a slowdown needs a crawling cell); use fewer events "
            "(n_events), more cells (n_cells) or more kinds (event_kinds)."
        )
    raise RuntimeError(  # pragma: no cover - only for extreme settings
        "could not simulate a video whose cells stay in the field of view; use "
        "a larger frame_size or fewer frames."
    )


def make_migration_videos(
    n_videos: int = 20,
    n_frames: int = 40,
    *,
    frame_size: int = 32,
    n_cells: int = 1,
    n_events: int = 3,
    events: str = "ordinary",
    event_kinds: tuple[str, ...] | None = None,
    min_gap: int = 6,
    noise: float = 0.05,
    wobble: float = 0.15,
    speed_jitter: float = 0.3,
    return_event_kinds: bool = False,
    random_state=None,
):
    """Generate videos of migrating cells with events at known frames.

    Parameters
    ----------
    n_videos : int, default=20
        Number of videos.
    n_frames : int, default=40
        Frames per video.
    frame_size : int, default=32
        Height and width of the (square) frames in pixels. Cell sizes and
        speeds scale with it.
    n_cells : int, default=1
        Cells per video at the start (divisions add cells).
    n_events : int, default=3
        Events per video, each happening to one cell at one frame.
    events : {"ordinary", "hard"}, default="ordinary"
        Which events, and which cells, to simulate (see the module
        docstring):

        - ``"ordinary"``: turns, rounding, spreading and divisions, all
          visible as a jump in pixel change;
        - ``"hard"``: cells with protrusions that travel around their
          outline, and quiet turns, protrusion reversals and slowdowns, events
          that do not raise pixel change above that of ordinary frames.
    event_kinds : tuple of str, optional
        Kinds of events to draw from, a subset of :data:`EVENT_KINDS`
        (``events="ordinary"``) or :data:`HARD_EVENT_KINDS` (``"hard"``);
        default all of them. Each video has at most one division per cell
        lineage; a quiet turn or slowdown needs a crawling cell.
    min_gap : int, default=6
        Fewest frames between two events, and between an event and the first
        frame.
    noise : float, default=0.05
        Standard deviation of the Gaussian pixel noise (cells are about 1 bright).
    wobble : float, default=0.15
        Standard deviation (radians) of the frame-to-frame wobble of each
        cell's direction of motion and orientation around its heading (with
        ``events="hard"``, of its direction only: bodies turn smoothly).
    speed_jitter : float, default=0.3
        Each step's speed is the state's speed times a uniform factor in
        ``[1 - speed_jitter, 1 + speed_jitter]`` (saltatory motion); with
        ``events="hard"`` the speed of the protrusions jitters the same way.
    return_event_kinds : bool, default=False
        Also return the kind of each event.
    random_state : int, RandomState instance or None, default=None
        Seeds the simulation.

    Returns
    -------
    videos : ndarray of shape (n_videos, n_frames, frame_size, frame_size), float32
        The videos, time first.
    events : ndarray of shape (n_videos, n_frames), bool
        True at the first frame that shows each event.
    event_kinds : ndarray of shape (n_videos, n_frames), str
        Only if ``return_event_kinds``: the event's kind, ``""`` elsewhere.

    Examples
    --------
    >>> from sklearn_cells.datasets._videos import make_migration_videos
    >>> videos, events = make_migration_videos(n_videos=2, n_frames=20, n_events=2,
    ...                                        random_state=0)
    >>> videos.shape, events.shape, events.sum(axis=1).tolist()
    ((2, 20, 32, 32), (2, 20), [2, 2])

    Events that raw pixel change does not reveal:

    >>> videos, events, kinds = make_migration_videos(
    ...     n_videos=2, n_frames=20, n_events=2, events="hard", return_event_kinds=True,
    ...     random_state=0)
    >>> events.sum(axis=1).tolist(), set(kinds[events]) <= set(HARD_EVENT_KINDS)
    ([2, 2], True)
    """
    for name, value, low in (
        ("n_videos", n_videos, 1),
        ("n_frames", n_frames, 2),
        ("frame_size", frame_size, 16),
        ("n_cells", n_cells, 1),
        ("n_events", n_events, 0),
        ("min_gap", min_gap, 1),
    ):
        if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}; got {value!r}.")
    if not isinstance(events, str) or events not in _FAMILIES:
        raise ValueError(f"events must be 'ordinary' or 'hard'; got {events!r}.")
    family = _FAMILIES[events]
    if event_kinds is None:
        event_kinds = family
    elif isinstance(event_kinds, str):
        event_kinds = (event_kinds,)
    unknown = set(event_kinds) - set(family)
    if unknown or not event_kinds:
        other = "hard" if events == "ordinary" else "ordinary"
        hint = (
            f" {sorted(unknown)} are events={other!r} kinds; pass events={other!r}."
            if unknown and unknown <= set(_FAMILIES[other])
            else ""
        )
        raise ValueError(
            f"event_kinds must be a non-empty subset of {family} for events={events!r}; "
            f"got {event_kinds!r}.{hint}"
        )
    if n_events * min_gap + min_gap // 2 + 2 > n_frames:
        raise ValueError(
            f"{n_events} events at least {min_gap} frames apart do not fit in "
            f"{n_frames} frames; use more frames, fewer events or a smaller min_gap."
        )
    if noise < 0 or wobble < 0 or not 0 <= speed_jitter < 1:
        raise ValueError(
            "noise and wobble must be >= 0 and speed_jitter in [0, 1); got "
            f"noise={noise!r}, wobble={wobble!r}, speed_jitter={speed_jitter!r}."
        )
    hard = events == "hard"
    rng = np.random.default_rng(check_random_state(random_state).randint(2**31 - 1))
    videos = np.empty((n_videos, n_frames, frame_size, frame_size), dtype=np.float32)
    dtype = f"<U{max(len(k) for k in family)}"
    kinds = np.full((n_videos, n_frames), "", dtype=dtype)
    for i in range(n_videos):
        video, kinds_at = _simulate(
            n_frames, frame_size, n_cells, n_events, tuple(event_kinds), noise, min_gap,
            wobble, speed_jitter, hard, rng,
        )
        videos[i] = video
        kinds[i] = kinds_at.astype(dtype)
    events = kinds != ""
    if return_event_kinds:
        return videos, events, kinds
    return videos, events
