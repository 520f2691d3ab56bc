"""Tests for load_trackmate_xml (TrackMate model files and simple track exports)."""

import io
import warnings

import numpy as np
import pytest

pd = pytest.importorskip("pandas")

from sklearn_cells.datasets import load_trackmate_xml  # noqa: E402
from sklearn_cells.datasets._tracks import load_tracks_csv  # noqa: E402

DT = 5.0  # frame interval (sec) of the fixtures

# (spot id, frame, x, y, z) per track. Track 1 skips frame 2 (gap closing);
# track 2 is removed by TrackMate's track filters; spot 30 is not tracked.
TRACKS = {
    0: [(0, 0, 10.0, 20.0, 0.0), (1, 1, 11.0, 21.0, 0.0), (2, 2, 12.5, 22.0, 0.0),
        (3, 3, 13.0, 24.0, 0.0)],
    1: [(10, 0, 30.0, 40.0, 0.0), (11, 1, 31.0, 40.0, 0.0), (13, 3, 35.0, 44.0, 0.0)],
    2: [(20, 0, 50.0, 50.0, 0.0), (21, 1, 51.0, 52.0, 0.0)],
}
UNTRACKED = [(30, 0, 70.0, 70.0, 0.0)]


def _spot(sid, frame, x, y, z):
    return (
        f'<Spot ID="{sid}" name="ID{sid}" STD_INTENSITY_CH1="12.5" QUALITY="41.2" '
        f'POSITION_T="{frame * DT}" TOTAL_INTENSITY_CH1="3022.0" CONTRAST_CH1="0.31" '
        f'FRAME="{frame}" MEDIAN_INTENSITY_CH1="95.0" VISIBILITY="1" RADIUS="2.5" '
        f'POSITION_X="{x}" POSITION_Y="{y}" POSITION_Z="{z}" '
        'MEAN_INTENSITY_CH1="96.9" ELLIPSE_MAJOR="3.1" ELLIPSE_MINOR="2.4" />'
    )


def _edge(a, b):
    return (
        f'<Edge SPOT_SOURCE_ID="{a}" SPOT_TARGET_ID="{b}" LINK_COST="1.8" '
        'DIRECTIONAL_CHANGE_RATE="NaN" SPEED="1.41" DISPLACEMENT="1.41" '
        'EDGE_TIME="2.5" EDGE_X_LOCATION="10.5" EDGE_Y_LOCATION="20.5" '
        'EDGE_Z_LOCATION="0.0" />'
    )


def model_xml(tracks=TRACKS, untracked=UNTRACKED, filtered=(0, 1), edges=None,
              timeinterval=DT):
    """A TrackMate (v7) model file as written by File > Save, trimmed."""
    spots = sorted(
        [s for pts in tracks.values() for s in pts] + list(untracked),
        key=lambda s: (s[1], s[0]),
    )
    frames = sorted({s[1] for s in spots})
    all_spots = "".join(
        f'<SpotsInFrame frame="{f}">'
        + "".join(_spot(*s) for s in spots if s[1] == f)
        + "</SpotsInFrame>"
        for f in frames
    )
    if edges is None:
        edges = {
            tid: [(a[0], b[0]) for a, b in zip(pts[:-1], pts[1:])]
            for tid, pts in tracks.items()
        }
    all_tracks = "".join(
        f'<Track name="Track_{tid}" TRACK_ID="{tid}" TRACK_INDEX="{tid}" '
        f'NUMBER_SPOTS="{len(links) + 1}" NUMBER_GAPS="0" NUMBER_SPLITS="0" '
        'NUMBER_MERGES="0" NUMBER_COMPLEX="0" LONGEST_GAP="0" TRACK_DURATION="15.0" '
        'TRACK_START="0.0" TRACK_STOP="15.0" TRACK_DISPLACEMENT="5.0">'
        + "".join(_edge(a, b) for a, b in links)
        + "</Track>"
        for tid, links in edges.items()
    )
    filtered_xml = "".join(f'<TrackID TRACK_ID="{t}" />' for t in filtered)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<TrackMate version="7.11.1">\n'
        "  <Log>TrackMate v7.11.1 started on: ...</Log>\n"
        '  <Model spatialunits="micron" timeunits="sec">\n'
        "    <FeatureDeclarations><SpotFeatures>"
        '<Feature feature="POSITION_X" name="X" shortname="X" dimension="POSITION" '
        'isint="false" /></SpotFeatures></FeatureDeclarations>\n'
        f'    <AllSpots nspots="{len(spots)}">{all_spots}</AllSpots>\n'
        f"    <AllTracks>{all_tracks}</AllTracks>\n"
        f"    <FilteredTracks>{filtered_xml}</FilteredTracks>\n"
        "  </Model>\n"
        '  <Settings><ImageData filename="cells.tif" folder="/data/" width="512" '
        'height="512" nslices="1" nframes="4" pixelwidth="0.65" pixelheight="0.65" '
        f'voxeldepth="1.0" timeinterval="{timeinterval}" />'
        '<BasicSettings xstart="0" xend="511" ystart="0" yend="511" zstart="0" '
        'zend="0" tstart="0" tend="3" /></Settings>\n'
        '  <GUIState state="ConfigureViews" />\n'
        "</TrackMate>\n"
    )


def simple_xml(tracks=(TRACKS[0], TRACKS[1]), frame_interval=DT):
    """The 'Export tracks to XML file' action's output for the same tracks."""
    particles = "".join(
        f'  <particle nSpots="{len(pts)}">\n'
        + "".join(
            f'    <detection t="{f}" x="{x}" y="{y}" z="{z}" />\n' for _, f, x, y, z in pts
        )
        + "  </particle>\n"
        for pts in tracks
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Tracks nTracks="{len(tracks)}" spaceUnits="micron" '
        f'frameInterval="{frame_interval}" timeUnits="sec" '
        'generationDateTime="Mon, 3 Jun 2024 10:12:31" from="TrackMate v7.11.1">\n'
        f"{particles}</Tracks>\n"
    )


def spots_csv(track_ids=(0, 1)):
    """TrackMate's CSV spot table for the same tracks (rows not in order)."""
    lines = [
        "LABEL,ID,TRACK_ID,QUALITY,POSITION_X,POSITION_Y,POSITION_Z,POSITION_T,FRAME,RADIUS",
        "Label,Spot ID,Track ID,Quality,X,Y,Z,T,Frame,Radius",
        "Label,Spot ID,Track ID,Quality,X,Y,Z,T,Frame,R",
        ",,,(quality),(micron),(micron),(micron),(sec),,(micron)",
    ]
    rows = [
        f"ID{s},{s},{tid},41.2,{x},{y},{z},{f * DT},{f},2.5"
        for tid in track_ids
        for s, f, x, y, z in TRACKS[tid]
    ]
    rows = rows[::2] + rows[1::2]  # interleave, as TrackMate does not sort
    return "\n".join(lines + rows) + "\n"


def _write(tmp_path, text, name="tracks.xml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _expected(tid, n_dims=2):
    return np.array([p[2:2 + n_dims] for p in TRACKS[tid]])


# --------------------------------------------------------------- model files
def test_model_file(tmp_path):
    tracks = load_trackmate_xml(_write(tmp_path, model_xml()))
    assert tracks.format == "model"
    np.testing.assert_array_equal(tracks.track_ids, [0, 1])  # track 2 filtered out
    np.testing.assert_array_equal(tracks.data[0], _expected(0))
    np.testing.assert_array_equal(tracks.data[1], _expected(1))
    np.testing.assert_array_equal(tracks.times[0], [0, 1, 2, 3])
    np.testing.assert_array_equal(tracks.times[1], [0, 1, 3])
    assert all(x.dtype == np.float64 and x.shape[1] == 2 for x in tracks.data)
    assert tracks.position_columns == ["POSITION_X", "POSITION_Y"]
    assert tracks.time_column == "FRAME" and tracks.track_column == "TRACK_ID"
    assert tracks.dt == 1.0
    np.testing.assert_array_equal(tracks.n_missing, [0, 1])
    assert tracks.interpolated is None
    assert tracks.target is None and tracks.groups is None
    assert (tracks.space_units, tracks.time_units) == ("micron", "sec")
    assert tracks.frame_interval == DT
    np.testing.assert_array_equal(tracks.n_dropped_spots, [0, 0])


def test_model_all_tracks(tmp_path):
    tracks = load_trackmate_xml(_write(tmp_path, model_xml()), filtered_only=False)
    np.testing.assert_array_equal(tracks.track_ids, [0, 1, 2])
    np.testing.assert_array_equal(tracks.data[2], _expected(2))


def test_model_without_filtered_tracks_keeps_all(tmp_path):
    text = model_xml().replace("<FilteredTracks>", "<!--").replace(
        "</FilteredTracks>", "-->"
    )
    tracks = load_trackmate_xml(_write(tmp_path, text))
    np.testing.assert_array_equal(tracks.track_ids, [0, 1, 2])


@pytest.mark.parametrize("make", [model_xml, simple_xml])
def test_fill_gaps_interpolate(tmp_path, make):
    tracks = load_trackmate_xml(_write(tmp_path, make()), fill_gaps="interpolate")
    np.testing.assert_array_equal(tracks.times[1], [0, 1, 2, 3])
    np.testing.assert_allclose(
        tracks.data[1], [[30, 40], [31, 40], [33, 42], [35, 44]]
    )
    np.testing.assert_array_equal(tracks.interpolated[1], [False, False, True, False])
    assert not tracks.interpolated[0].any()
    np.testing.assert_array_equal(tracks.n_missing, [0, 1])


def test_physical_time(tmp_path):
    for make in (model_xml, simple_xml):
        tracks = load_trackmate_xml(_write(tmp_path, make()), time="physical")
        assert tracks.time_column == "POSITION_T"
        np.testing.assert_allclose(tracks.times[1], [0.0, 5.0, 15.0])
        assert tracks.dt == DT
        filled = load_trackmate_xml(
            _write(tmp_path, make()), time="physical", fill_gaps="interpolate"
        )
        np.testing.assert_allclose(filled.times[1], [0.0, 5.0, 10.0, 15.0])


def test_link_direction_does_not_matter(tmp_path):
    edges = {0: [(1, 0), (1, 2), (3, 2)], 1: [(13, 11), (10, 11)]}
    tracks = load_trackmate_xml(_write(tmp_path, model_xml(edges=edges)))
    np.testing.assert_array_equal(tracks.data[0], _expected(0))
    np.testing.assert_array_equal(tracks.data[1], _expected(1))


def test_3d_and_n_dims(tmp_path):
    tracks3 = {
        0: [(0, 0, 1.0, 2.0, 3.0), (1, 1, 1.5, 2.0, 3.5), (2, 2, 2.0, 2.5, 4.0)],
        1: [(10, 0, 5.0, 5.0, 0.0), (11, 1, 5.0, 6.0, 0.0)],
    }
    path = _write(tmp_path, model_xml(tracks=tracks3, untracked=()))
    tracks = load_trackmate_xml(path)
    assert tracks.position_columns == ["POSITION_X", "POSITION_Y", "POSITION_Z"]
    np.testing.assert_array_equal(tracks.data[0], [p[2:] for p in tracks3[0]])
    assert tracks.data[1].shape == (2, 3)
    flat = load_trackmate_xml(path, n_dims=2)
    np.testing.assert_array_equal(flat.data[0], [p[2:4] for p in tracks3[0]])
    # 2-D data: z of zeros is dropped by default, kept on request.
    kept = load_trackmate_xml(_write(tmp_path, model_xml()), n_dims=3)
    np.testing.assert_array_equal(kept.data[0], _expected(0, n_dims=3))
    simple = load_trackmate_xml(
        _write(tmp_path, simple_xml(tracks=list(tracks3.values())))
    )
    np.testing.assert_array_equal(simple.data[0], [p[2:] for p in tracks3[0]])


# ------------------------------------------------------------- split / merge
SPLIT = {
    # 0 -> 1 -> 2 -> 3 and 1 -> 5 (frame 2): a division at spot 1.
    0: [(0, 0, 0.0, 0.0, 0.0), (1, 1, 1.0, 0.0, 0.0), (2, 2, 2.0, 0.0, 0.0),
        (3, 3, 3.0, 0.0, 0.0), (5, 2, 1.0, 5.0, 0.0)],
}
SPLIT_EDGES = {0: [(0, 1), (1, 2), (2, 3), (1, 5)]}


def test_split_raises_by_default(tmp_path):
    path = _write(tmp_path, model_xml(tracks=SPLIT, untracked=(), filtered=(0,),
                                      edges=SPLIT_EDGES))
    with pytest.raises(ValueError) as err:
        load_trackmate_xml(path)
    msg = str(err.value)
    for part in ("track 0 (Track_0)", "splits 1", "spot ID=1", "branching='longest'",
                 "Allow track splitting", str(path)):
        assert part in msg


def test_merge_raises(tmp_path):
    edges = {0: [(0, 1), (1, 2), (2, 3), (5, 3)]}  # 5 (frame 2) joins at 3
    path = _write(tmp_path, model_xml(tracks=SPLIT, untracked=(), filtered=(0,),
                                      edges=edges))
    with pytest.raises(ValueError, match="merges 1"):
        load_trackmate_xml(path)


def test_split_longest_branch(tmp_path):
    path = _write(tmp_path, model_xml(tracks=SPLIT, untracked=(), filtered=(0,),
                                      edges=SPLIT_EDGES))
    with pytest.warns(UserWarning, match="longest branch.*1 spot"):
        tracks = load_trackmate_xml(path, branching="longest")
    np.testing.assert_array_equal(tracks.data[0], [[0, 0], [1, 0], [2, 0], [3, 0]])
    np.testing.assert_array_equal(tracks.times[0], [0, 1, 2, 3])
    np.testing.assert_array_equal(tracks.n_dropped_spots, [1])


def test_longest_branch_leaves_linear_tracks_alone(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tracks = load_trackmate_xml(_write(tmp_path, model_xml()), branching="longest")
    np.testing.assert_array_equal(tracks.data[0], _expected(0))
    np.testing.assert_array_equal(tracks.n_dropped_spots, [0, 0])


def test_simple_export_of_a_split_track_raises(tmp_path):
    pts = [(0, 0, 0.0, 0.0, 0.0), (1, 1, 1.0, 0.0, 0.0), (2, 1, 1.0, 5.0, 0.0)]
    path = _write(tmp_path, simple_xml(tracks=[pts]))
    with pytest.raises(ValueError, match=r"particle 0 .*frame 1.*File > Save"):
        load_trackmate_xml(path)


# -------------------------------------------------------------- simple export
def test_simple_export(tmp_path):
    tracks = load_trackmate_xml(_write(tmp_path, simple_xml()))
    assert tracks.format == "simple"
    np.testing.assert_array_equal(tracks.track_ids, [0, 1])  # particle order
    np.testing.assert_array_equal(tracks.data[0], _expected(0))
    np.testing.assert_array_equal(tracks.data[1], _expected(1))
    np.testing.assert_array_equal(tracks.times[1], [0, 1, 3])
    assert tracks.position_columns == ["POSITION_X", "POSITION_Y"]
    assert (tracks.space_units, tracks.time_units, tracks.frame_interval) == (
        "micron", "sec", DT)


def test_both_formats_and_csv_agree(tmp_path):
    """The CSV spot table, the model file and the simple export, same tracks."""
    from_model = load_trackmate_xml(_write(tmp_path, model_xml(), "model.xml"))
    from_simple = load_trackmate_xml(_write(tmp_path, simple_xml(), "simple.xml"))
    csv = _write(tmp_path, spots_csv(), "spots.csv")
    from_csv = load_tracks_csv(csv, position_cols=["POSITION_X", "POSITION_Y"])
    for other in (from_simple, from_csv):
        assert len(other.data) == len(from_model.data)
        for a, b in zip(from_model.data, other.data):
            np.testing.assert_array_equal(a, b)
        for a, b in zip(from_model.times, other.times):
            np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(from_csv.track_ids, from_model.track_ids)
    assert from_csv.position_columns == from_model.position_columns
    assert from_csv.time_column == from_model.time_column

    # With z kept (CSV default) and with gaps filled.
    xml3 = load_trackmate_xml(tmp_path / "model.xml", n_dims=3, fill_gaps="interpolate")
    csv3 = load_tracks_csv(csv, fill_gaps="interpolate")
    for a, b in zip(xml3.data, csv3.data):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(xml3.interpolated, csv3.interpolated):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------ inputs / options
def test_file_objects_and_paths(tmp_path):
    text = simple_xml()
    path = _write(tmp_path, text)
    expected = load_trackmate_xml(path).data
    buffers = [io.StringIO(text), io.BytesIO(text.encode()), str(path)]
    with open(path, "rb") as handle:
        buffers.append(handle)
        for source in buffers:
            got = load_trackmate_xml(source)
            for a, b in zip(expected, got.data):
                np.testing.assert_array_equal(a, b)
        assert not handle.closed  # the caller's file is left open


def test_return_X_y(tmp_path):
    X, y, groups = load_trackmate_xml(_write(tmp_path, model_xml()), return_X_y=True)
    assert len(X) == 2 and y is None and groups is None
    np.testing.assert_array_equal(X[1], _expected(1))


def test_min_length(tmp_path):
    path = _write(tmp_path, model_xml())
    with pytest.warns(UserWarning, match="1 of 2 track"):
        tracks = load_trackmate_xml(path, min_length=4)
    np.testing.assert_array_equal(tracks.track_ids, [0])
    np.testing.assert_array_equal(tracks.n_dropped_spots, [0])
    with pytest.raises(ValueError, match=r"tracks\.xml.*min_length=9"):
        load_trackmate_xml(path, min_length=9)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"branching": "split"}, "branching must be"),
        ({"n_dims": 1}, "n_dims must be"),
        ({"n_dims": True}, "n_dims must be"),
        ({"time": "seconds"}, "time must be"),
        ({"fill_gaps": "linear"}, "fill_gaps must be"),
        ({"min_length": 0}, "min_length must be"),
    ],
)
def test_bad_parameters(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_trackmate_xml(_write(tmp_path, model_xml()), **kwargs)


def test_bad_source_type():
    with pytest.raises(TypeError, match="path or an open file"):
        load_trackmate_xml(42)


# ---------------------------------------------------------------- bad files
def _raises(path, match, exc=ValueError, **kwargs):
    with pytest.raises(exc, match=match) as err:
        load_trackmate_xml(path, **kwargs)
    assert str(path) in str(err.value)
    return str(err.value)


def test_missing_file(tmp_path):
    _raises(tmp_path / "nope.xml", "does not exist", exc=FileNotFoundError)


def test_empty_file(tmp_path):
    _raises(_write(tmp_path, ""), "is empty")


def test_not_xml(tmp_path):
    msg = _raises(_write(tmp_path, spots_csv(), "spots.xml"), "is not an XML file")
    assert "load_tracks_csv" in msg


def test_binary_file(tmp_path):
    path = tmp_path / "cells.tif"
    path.write_bytes(b"II*\x00\x08\x00\x00\x00\xff\xfe\x00\x01")
    _raises(path, "is not an XML file")


@pytest.mark.parametrize("make", [model_xml, simple_xml])
def test_truncated_file(tmp_path, make):
    text = make()
    msg = _raises(_write(tmp_path, text[: len(text) * 2 // 3]), "truncated")
    assert "again" in msg


def test_other_xml(tmp_path):
    path = _write(tmp_path, '<?xml version="1.0"?><svg width="10"><rect /></svg>')
    msg = _raises(path, "root element is <svg>")
    assert "<TrackMate>" in msg and "<Tracks>" in msg


def test_trackmate_root_without_model(tmp_path):
    path = _write(tmp_path, '<TrackMate version="7.11.1"><Settings /></TrackMate>')
    _raises(path, "no <Model> element")


def test_track_without_edges(tmp_path):
    text = model_xml(edges={0: [(0, 1), (1, 2), (2, 3)], 1: []})
    _raises(_write(tmp_path, text), r"track 1 \(Track_1\) has no <Edge>")


def test_edge_to_missing_spot(tmp_path):
    text = model_xml(edges={0: [(0, 1), (1, 2), (2, 99)], 1: [(10, 11)]})
    _raises(_write(tmp_path, text), r"track 0 \(Track_0\) refers to spot ID=99.*save")


def test_filtered_out_track_is_not_checked(tmp_path):
    edges = {0: [(0, 1), (1, 2), (2, 3)], 1: [(10, 11), (11, 13)], 2: [(20, 999)]}
    path = _write(tmp_path, model_xml(edges=edges))
    assert len(load_trackmate_xml(path).data) == 2
    _raises(path, "spot ID=999", filtered_only=False)


def test_edge_within_one_frame(tmp_path):
    tracks = {0: [(0, 0, 0.0, 0.0, 0.0), (1, 0, 1.0, 0.0, 0.0)]}
    text = model_xml(tracks=tracks, untracked=(), filtered=(0,))
    _raises(_write(tmp_path, text), "both in frame 0")


def test_disconnected_track(tmp_path):
    edges = {0: [(0, 1), (2, 3)], 1: [(10, 11), (11, 13)]}
    path = _write(tmp_path, model_xml(edges=edges))
    _raises(path, "not connected")
    with pytest.warns(UserWarning, match="longest branch"):
        tracks = load_trackmate_xml(path, branching="longest")
    np.testing.assert_array_equal(tracks.times[0], [0, 1])
    np.testing.assert_array_equal(tracks.n_dropped_spots, [2, 0])


def test_filtered_tracks_empty(tmp_path):
    _raises(_write(tmp_path, model_xml(filtered=())), "filtered_only=False")


def test_filtered_track_unknown(tmp_path):
    _raises(_write(tmp_path, model_xml(filtered=(0, 7))), "TRACK_ID=7")


def test_no_tracks(tmp_path):
    _raises(_write(tmp_path, model_xml(tracks={}, filtered=())), "contains no tracks")
    _raises(_write(tmp_path, simple_xml(tracks=[]), "s.xml"), "contains no tracks")


def test_particle_without_detections(tmp_path):
    text = simple_xml().replace("</Tracks>", '<particle nSpots="0"></particle></Tracks>')
    _raises(_write(tmp_path, text), "particle 2 .*no <detection>")


def test_non_numeric_and_missing_attributes(tmp_path):
    text = model_xml().replace('POSITION_X="11.0"', 'POSITION_X="11,0"')
    _raises(_write(tmp_path, text), r"spot ID=1 has POSITION_X='11,0'.*not a number")
    text = model_xml().replace('SPOT_TARGET_ID="1" ', "")
    _raises(_write(tmp_path, text), "no SPOT_TARGET_ID attribute")
    text = simple_xml().replace('t="1"', 't="1.5"', 1)
    _raises(_write(tmp_path, text), "not an integer")


def test_physical_time_needs_frame_interval(tmp_path):
    path = _write(tmp_path, simple_xml(frame_interval="NaN"))
    assert load_trackmate_xml(path).frame_interval is None
    _raises(path, "time='frame'", time="physical")


# ------------------------------------------------- entities (crafted files)
def _with_doctype(text, declarations, replace):
    """``text`` with a DOCTYPE of ``declarations`` and ``replace`` ({old: new}) applied."""
    root = "TrackMate" if "<TrackMate" in text else "Tracks"
    head, body = text.split("\n", 1)
    for old, new in replace.items():
        assert old in body
        body = body.replace(old, new, 1)
    return f"{head}\n<!DOCTYPE {root} [{declarations}]>\n{body}"


def test_entity_expansion_is_refused(tmp_path):
    # A harmless entity, so that this holds whatever the expat version: the
    # same mechanism, nested ("billion laughs"), makes a few KB expand to GB.
    text = _with_doctype(simple_xml(), '<!ENTITY x "10.0">', {'x="10.0"': 'x="&x;"'})
    msg = _raises(_write(tmp_path, text), "declares XML entities")
    assert "TrackMate never writes" in msg


def test_nested_entity_expansion_is_refused(tmp_path):
    laughs = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol;" if i == 1 else f"&lol{i - 1};") * 10}">' for i in range(1, 6)
    )
    text = _with_doctype(model_xml(), laughs, {"started on: ...": "&lol5;"})
    _raises(_write(tmp_path, text), "declares XML entities")


def test_external_entity_is_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read me")
    text = _with_doctype(
        model_xml(), f'<!ENTITY ext SYSTEM "{secret.as_uri()}">', {"started on: ...": "&ext;"}
    )
    _raises(_write(tmp_path, text), "declares XML entities")


def test_entities_are_refused_in_file_objects_too(tmp_path):
    text = _with_doctype(simple_xml(), '<!ENTITY x "10.0">', {'x="10.0"': 'x="&x;"'})
    with pytest.raises(ValueError, match="declares XML entities"):
        load_trackmate_xml(io.StringIO(text))


def test_a_doctype_without_entities_still_loads(tmp_path):
    text = _with_doctype(simple_xml(), "", {})
    tracks = load_trackmate_xml(_write(tmp_path, text))
    assert len(tracks.data) == 2
