"""Tests for load_tracks_csv / tracks_from_frame (long-format track tables)."""

import gzip
import io
import sys
from collections import Counter

import numpy as np
import pytest

pd = pytest.importorskip("pandas")

from sklearn_cells.datasets._tracks import load_tracks_csv, tracks_from_frame  # noqa: E402


def _csv(text):
    return io.StringIO(text)


# Rows deliberately out of time order and with tracks interleaved.
SIMPLE = """track_id,t,x,y
a,2,2.0,20.0
a,0,0.0,0.0
b,0,5.0,5.0
a,1,1.0,10.0
b,1,6.0,5.5
"""

# A TrackMate (v7+) spot export: 3 rows of names/short names/units under the
# header, a per-spot LABEL column, z = 0 on 2-D images, POSITION_T in seconds,
# and an untracked spot (empty TRACK_ID) as in "all spots" exports.
TRACKMATE = """LABEL,ID,TRACK_ID,QUALITY,POSITION_X,POSITION_Y,POSITION_Z,POSITION_T,FRAME,RADIUS
Label,Spot ID,Track ID,Quality,X,Y,Z,T,Frame,Radius
Label,Spot ID,Track ID,Quality,X,Y,Z,T,Frame,R
,,,(quality),(micron),(micron),(micron),(sec),,(micron)
ID1,1,0,1.0,11.0,21.0,0.0,5.0,1,7.5
ID0,0,0,1.0,10.0,20.0,0.0,0.0,0,7.5
ID2,2,0,1.0,12.0,22.0,0.0,10.0,2,7.5
ID4,4,7,1.0,31.0,40.0,0.0,5.0,1,7.5
ID3,3,7,1.0,30.0,40.0,0.0,0.0,0,7.5
ID9,9,,1.0,99.0,99.0,0.0,0.0,0,7.5
"""


# ---------------------------------------------------------------- recognition
def test_default_names_sorted_by_time():
    tracks = load_tracks_csv(_csv(SIMPLE))
    assert list(tracks.track_ids) == ["a", "b"]  # order of first appearance
    np.testing.assert_array_equal(tracks.data[0], [[0, 0], [1, 10], [2, 20]])
    np.testing.assert_array_equal(tracks.data[1], [[5, 5], [6, 5.5]])
    np.testing.assert_array_equal(tracks.times[0], [0, 1, 2])
    assert all(x.dtype == np.float64 for x in tracks.data)
    assert tracks.target is None and tracks.groups is None
    assert tracks.position_columns == ["x", "y"]
    assert tracks.time_column == "t" and tracks.track_column == "track_id"
    assert tracks.dt == 1.0
    np.testing.assert_array_equal(tracks.n_missing, [0, 0])
    assert tracks.interpolated is None


@pytest.mark.parametrize(
    "header, columns",
    [
        ("particle,frame,x,y,z", ["x", "y", "z"]),  # trackpy
        ("Track,Time,X,Y,Z", ["X", "Y", "Z"]),  # other case
        ("TRACK_ID,POSITION_T,POSITION_X,POSITION_Y,POSITION_Z",
         ["POSITION_X", "POSITION_Y", "POSITION_Z"]),
    ],
)
def test_recognised_names_any_case(header, columns):
    text = header + "\n1,1,1,2,3\n1,0,0,0,0\n2,0,5,5,5\n2,1,6,6,6\n"
    tracks = load_tracks_csv(_csv(text))
    assert tracks.position_columns == columns
    np.testing.assert_array_equal(tracks.data[0], [[0, 0, 0], [1, 2, 3]])
    assert list(tracks.track_ids) == [1, 2]


def test_trackmate_spot_export_with_extra_header_rows():
    with pytest.warns(UserWarning, match="1 row.*no track id.*TRACK_ID"):
        tracks = load_tracks_csv(_csv(TRACKMATE))
    # the per-spot LABEL column is not taken as a class label
    assert tracks.target is None
    assert tracks.track_ids.tolist() == [0, 7]  # numbers again after the text rows
    assert tracks.time_column == "FRAME"
    assert tracks.position_columns == ["POSITION_X", "POSITION_Y", "POSITION_Z"]
    np.testing.assert_array_equal(tracks.times[0], [0, 1, 2])
    np.testing.assert_array_equal(tracks.data[0], [[10, 20, 0], [11, 21, 0], [12, 22, 0]])
    np.testing.assert_array_equal(tracks.data[1], [[30, 40, 0], [31, 40, 0]])

    with pytest.warns(UserWarning, match="no track id"):
        seconds = load_tracks_csv(
            _csv(TRACKMATE), time_col="POSITION_T", position_cols=["POSITION_X", "POSITION_Y"]
        )
    np.testing.assert_array_equal(seconds.times[0], [0.0, 5.0, 10.0])
    assert seconds.dt == 5.0
    assert seconds.data[0].shape == (3, 2)


def test_trackmate_without_extra_rows():
    lines = TRACKMATE.splitlines()
    text = "\n".join([lines[0], *lines[4:-1]]) + "\n"  # older export, all tracked
    tracks = load_tracks_csv(_csv(text))
    assert len(tracks.data) == 2 and tracks.data[0].shape == (3, 3)


def test_custom_names_labels_groups_and_sep():
    text = (
        "cell;minute;px;py;condition;donor\n"
        "c1;1;1.0;1.0;ctrl;d1\n"
        "c1;0;0.0;0.0;ctrl;d1\n"
        "c2;0;3.0;3.0;drug;d2\n"
        "c2;1;4.0;3.0;drug;d2\n"
        "c3;3;0.0;1.0;drug;d1\n"
        "c3;2;0.0;0.0;drug;d1\n"
    )
    tracks = load_tracks_csv(
        _csv(text), sep=";", track_col="cell", time_col="minute",
        position_cols=["px", "py"], label_col="condition", group_col="donor",
    )
    assert tracks.target.tolist() == ["ctrl", "drug", "drug"]
    assert tracks.groups.tolist() == ["d1", "d2", "d1"]
    np.testing.assert_array_equal(tracks.data[2], [[0, 0], [0, 1]])
    np.testing.assert_array_equal(tracks.times[2], [2, 3])

    X, y, groups = load_tracks_csv(
        _csv(text), sep=";", track_col="cell", time_col="minute",
        position_cols=["py", "px"], label_col="condition", group_col="donor",
        return_X_y=True,
    )
    assert isinstance(X, list) and len(X) == len(y) == len(groups) == 3
    np.testing.assert_array_equal(X[0], [[0, 0], [1, 1]])
    np.testing.assert_array_equal(X[1], [[3, 3], [3, 4]])  # columns in the order given


def test_return_X_y_without_labels_gives_none():
    X, y, groups = load_tracks_csv(_csv(SIMPLE), return_X_y=True)
    assert len(X) == 2 and y is None and groups is None


def test_empty_z_column_is_dropped():
    text = "track_id,t,x,y,z\n1,0,0,0,\n1,1,1,1,\n2,0,2,2,\n2,1,3,3,\n"
    tracks = load_tracks_csv(_csv(text))
    assert tracks.position_columns == ["x", "y"]
    assert tracks.data[0].shape == (2, 2)
    with pytest.warns(UserWarning, match=r"\['z'\].*empty"):
        explicit = load_tracks_csv(_csv(text), position_cols=["x", "y", "z"])
    assert explicit.position_columns == ["x", "y"]


def test_gzip_file(tmp_path):
    path = tmp_path / "tracks.csv.gz"
    with gzip.open(path, "wt") as f:
        f.write(SIMPLE)
    tracks = load_tracks_csv(path)
    assert len(tracks.data) == 2 and tracks.data[0].shape == (3, 2)


def test_frame_is_not_modified():
    df = pd.read_csv(_csv(TRACKMATE))
    before = df.copy(deep=True)
    with pytest.warns(UserWarning):
        tracks_from_frame(df)
    pd.testing.assert_frame_equal(df, before)

    df = pd.read_csv(_csv(SIMPLE))
    before = df.copy(deep=True)
    tracks = tracks_from_frame(df, fill_gaps="interpolate")
    pd.testing.assert_frame_equal(df, before)
    tracks.data[0][:] = -1  # outputs do not share memory with the frame
    pd.testing.assert_frame_equal(df, before)


def test_min_length_drops_short_tracks_with_warning():
    text = SIMPLE + "c,0,9.0,9.0\n"
    with pytest.warns(UserWarning, match=r"1 of 3 track\(s\).*min_length=2"):
        tracks = load_tracks_csv(_csv(text))
    assert list(tracks.track_ids) == ["a", "b"]
    with pytest.warns(UserWarning, match=r"2 of 3 track\(s\).*min_length=3"):
        tracks = load_tracks_csv(_csv(text), min_length=3)
    assert list(tracks.track_ids) == ["a"]
    tracks = load_tracks_csv(_csv(text), min_length=1)
    assert len(tracks.data) == 3


# ---------------------------------------------------------------- gaps
GAPS = "track_id,t,x,y\n1,0,0,0\n1,1,1,0\n1,4,4,3\n1,5,5,3\n2,0,0,0\n2,2,2,2\n2,3,3,3\n"


def test_gaps_reported_and_interpolated():
    raw = load_tracks_csv(_csv(GAPS))
    assert raw.dt == 1.0  # most common difference
    np.testing.assert_array_equal(raw.n_missing, [2, 1])
    np.testing.assert_array_equal(raw.times[0], [0, 1, 4, 5])

    filled = load_tracks_csv(_csv(GAPS), fill_gaps="interpolate")
    np.testing.assert_array_equal(filled.times[0], np.arange(6))
    assert filled.times[0].dtype.kind == "i"
    np.testing.assert_allclose(
        filled.data[0], [[0, 0], [1, 0], [2, 1], [3, 2], [4, 3], [5, 3]]
    )
    np.testing.assert_array_equal(filled.interpolated[0], [0, 0, 1, 1, 0, 0])
    np.testing.assert_allclose(filled.data[1], [[0, 0], [1, 1], [2, 2], [3, 3]])
    np.testing.assert_array_equal(filled.n_missing, [2, 1])  # gaps before filling


def test_fill_gaps_with_given_float_time_step():
    text = "track_id,time,x,y\n1,0.0,0,0\n1,0.5,1,0\n1,1.5,3,0\n2,0.0,0,0\n2,1.0,0,2\n"
    filled = load_tracks_csv(_csv(text), fill_gaps="interpolate", dt=0.5)
    np.testing.assert_allclose(filled.times[0], [0, 0.5, 1.0, 1.5])
    np.testing.assert_allclose(filled.data[0][:, 0], [0, 1, 2, 3])
    np.testing.assert_allclose(filled.data[1], [[0, 0], [0, 1], [0, 2]])


def test_fill_gaps_off_grid_error():
    text = "track_id,t,x,y\n1,0,0,0\n1,1,1,0\n1,2.5,2,0\n2,0,0,0\n2,1,1,0\n"
    match = r"Track 1 .*1.5 \(from 1.0 to 2.5\) .*not a multiple of dt=1"
    with pytest.raises(ValueError, match=match):
        load_tracks_csv(_csv(text), fill_gaps="interpolate")


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "text, match",
    [
        ("id,t,x,y\n1,0,0,0\n", "No track id column.*track_col="),
        ("track_id,when,x,y\n1,0,0,0\n", "No time column.*time_col=.*'when'"),
        ("track_id,t,u,v\n1,0,0,0\n", "No position columns.*position_cols="),
        ("track_id;t;x;y\n1;0;0;0\n", "sep=';'"),
    ],
)
def test_unrecognised_columns(text, match):
    with pytest.raises(ValueError, match=match):
        load_tracks_csv(_csv(text))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"track_col": "cell"}, r"track_col='cell' is not a column.*'track_id'"),
        ({"time_col": "frame"}, "time_col='frame' is not a column"),
        ({"position_cols": ["x", "q"]}, "position_cols entry='q' is not a column"),
        ({"label_col": "label"}, "label_col='label' is not a column"),
        ({"group_col": "donor"}, "group_col='donor' is not a column"),
    ],
)
def test_named_column_missing(kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_tracks_csv(_csv(SIMPLE), **kwargs)


def test_position_cols_must_be_a_list():
    with pytest.raises(TypeError, match="list of column names"):
        load_tracks_csv(_csv(SIMPLE), position_cols="x")


def test_duplicate_time_points():
    text = SIMPLE + "b,1,7.0,7.0\n"
    match = r"1 duplicate time point.*track 'b' at t=1.*drop_duplicates"
    with pytest.raises(ValueError, match=match):
        load_tracks_csv(_csv(text))


def test_nan_position():
    text = SIMPLE.replace("a,1,1.0,10.0", "a,1,,10.0")
    with pytest.raises(ValueError, match=r"'x' has 1 missing value.*track 'a' at t=1.*dropna"):
        load_tracks_csv(_csv(text))


def test_non_numeric_position():
    text = SIMPLE.replace("b,1,6.0,5.5", "b,1,6.0,five")
    with pytest.raises(ValueError, match=r"'y' is not numeric.*'five'.*track 'b'"):
        load_tracks_csv(_csv(text))


def test_text_in_first_row_is_an_error_not_a_header():
    text = SIMPLE.replace("a,2,2.0,20.0", "a,2,two,twenty")
    with pytest.raises(ValueError, match=r"'x' is not numeric.*'two'"):
        load_tracks_csv(_csv(text))


def test_non_numeric_and_missing_time():
    with pytest.raises(ValueError, match=r"Time column 't' is not numeric.*'late'"):
        load_tracks_csv(_csv(SIMPLE.replace("a,2,", "a,late,")))
    with pytest.raises(ValueError, match=r"Time column 't' has 1 missing"):
        load_tracks_csv(_csv(SIMPLE.replace("a,2,", "a,,")))


@pytest.mark.parametrize("text", ["", "track_id,t,x,y\n"])
def test_empty_table(text):
    with pytest.raises(ValueError, match="empty"):
        load_tracks_csv(_csv(text))


def test_track_with_two_labels_or_groups():
    text = "track_id,t,x,y,label,donor\n1,0,0,0,a,p1\n1,1,1,1,b,p1\n2,0,0,0,a,p1\n2,1,1,1,a,p2\n"
    with pytest.raises(ValueError, match=r"Track 1 has more than one value in label_col='label'"):
        load_tracks_csv(_csv(text), label_col="label")
    with pytest.raises(ValueError, match=r"Track 2 has more than one value in group_col='donor'"):
        load_tracks_csv(_csv(text), group_col="donor")


def test_missing_label():
    text = "track_id,t,x,y,label\n1,0,0,0,a\n1,1,1,1,a\n2,0,0,0,\n2,1,1,1,\n"
    with pytest.raises(ValueError, match=r"label_col='label' has missing values.*track 2"):
        load_tracks_csv(_csv(text), label_col="label")


def test_all_tracks_too_short():
    with pytest.raises(ValueError, match="No track has at least min_length=5"):
        load_tracks_csv(_csv(SIMPLE), min_length=5)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"min_length": 0}, "min_length must be an integer >= 1"),
        ({"fill_gaps": "linear"}, "fill_gaps must be None or 'interpolate'"),
        ({"dt": -1.0}, "dt must be a positive number"),
    ],
)
def test_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_tracks_csv(_csv(SIMPLE), **kwargs)


def test_frame_function_needs_a_dataframe():
    with pytest.raises(TypeError, match="must be a pandas DataFrame.*load_tracks_csv"):
        tracks_from_frame({"track_id": [1, 1], "t": [0, 1], "x": [0, 1], "y": [0, 1]})


def test_pandas_missing_gives_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # makes `import pandas` fail
    with pytest.raises(ImportError, match="pip install pandas"):
        load_tracks_csv(_csv(SIMPLE))


# ---------------------------------------------------------------- real data
@pytest.fixture(scope="module")
def leuko_path(shared_data_dir):
    path = shared_data_dir / "leuko_ghent_tracks.csv.gz"
    if not path.exists():
        pytest.skip("leuko_ghent_tracks.csv.gz is not present")
    return path


@pytest.mark.shared_data
def test_leukocyte_tracks(leuko_path):
    tracks = load_tracks_csv(leuko_path, label_col="label", group_col="donor")
    # counts from ../shared/data/README.md
    assert Counter(tracks.target) == {"pbs": 415, "cxcl1": 362, "cxcl8": 416, "fmlp": 856}
    assert set(tracks.groups) == {"p2", "p3", "p4", "p5"}
    # every donor contributes every treatment, so donor-grouped CV is possible
    assert len(set(zip(tracks.groups, tracks.target))) == 16
    # track ids carry donor and treatment ("p2_cxcl1_1"): groups/labels line up
    assert all(
        tid.startswith(f"{g}_{lab}_")
        for tid, g, lab in zip(tracks.track_ids, tracks.groups, tracks.target)
    )
    assert tracks.position_columns == ["x", "y"]  # empty z dropped
    assert all(x.ndim == 2 and x.shape[1] == 2 for x in tracks.data)
    lengths = np.array([len(x) for x in tracks.data])
    assert lengths.min() >= 10 and lengths.max() <= 450
    assert all(np.all(np.diff(t) > 0) for t in tracks.times)
    assert tracks.dt == 1.0
    assert tracks.n_missing.sum() > 0  # the README's gaps of 2-3 frames

    filled = load_tracks_csv(
        leuko_path, label_col="label", group_col="donor", fill_gaps="interpolate",
    )
    assert all(np.all(np.diff(t) == 1) for t in filled.times)
    n_added = sum(len(x) for x in filled.data) - lengths.sum()
    assert n_added == tracks.n_missing.sum() == sum(m.sum() for m in filled.interpolated)
