"""Load particle cut-outs with masks and labels from files.

Two sources:

- :func:`load_particles`: a folder of per-particle image files with matching
  mask files and a label table, the layout seed 003's data came in (one
  cut-out per liposome, its mask, and a class per particle);
- :func:`extract_particles`: cut-outs of every object of a labelled frame
  (an instance segmentation such as a Cell Tracking Challenge ``man_seg``
  file), each with ``surround`` pixels of context.

Both return a :class:`~sklearn_cells.image._particles.ParticleImages`.
TIFF files are read with tifffile, PNG (and other formats) with Pillow.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
from scipy import ndimage
from sklearn.utils import Bunch

from ..image._particles import ParticleImages
from ..utils._optional import import_optional

__all__ = ["load_particles", "extract_particles", "read_image"]

_TIFF = {".tif", ".tiff"}
_PILLOW = {".png", ".jpg", ".jpeg", ".bmp", ".gif"}


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Read one 2-D image: TIFF with tifffile, PNG/JPEG/BMP with Pillow.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    image : ndarray
        As stored (uint8, uint16, float, ...); RGB files keep their channel
        axis, which :class:`ParticleImages` then rejects with a clear message.

    Examples
    --------
    >>> import numpy as np, tempfile, tifffile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "a.tif")
    >>> tifffile.imwrite(path, np.zeros((4, 5), np.uint8))
    >>> read_image(path).shape
    (4, 5)
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in _TIFF:
        return np.asarray(import_optional("tifffile", "Reading TIFF", "io").imread(path))
    if suffix in _PILLOW:
        try:
            from PIL import Image
        except ImportError as exc:  # pragma: no cover
            raise ImportError("Reading PNG/JPEG needs Pillow: pip install pillow") from exc
        with Image.open(path) as img:
            return np.asarray(img)
    raise ValueError(
        f"Cannot read {path.name}: unsupported extension {suffix!r}; use TIFF "
        f"({sorted(_TIFF)}) or one of {sorted(_PILLOW)}."
    )


def _read_image_file(path: Path) -> np.ndarray:
    """:func:`read_image`, with decoder errors turned into one that names the file."""
    try:
        return read_image(path)
    except ImportError:
        raise
    except Exception as exc:  # any decoder failure (tifffile, Pillow): keep the cause
        raise ValueError(
            f"Cannot read {path}: {exc}. The file is corrupt, truncated or not a valid "
            f"{path.suffix.lower() or 'image'} file; re-export it or remove it."
        ) from exc


def _image_files(folder: Path) -> dict[str, Path]:
    files = {}
    for p in sorted(folder.iterdir()):
        if p.is_file() and p.suffix.lower() in _TIFF | _PILLOW:
            if p.stem in files:
                raise ValueError(
                    f"{folder} holds two images named {p.stem!r} ({files[p.stem].name}, "
                    f"{p.name}); keep one file per particle."
                )
            files[p.stem] = p
    return files


def _read_labels(labels, name_column: str, label_column: str) -> dict[str, str]:
    if isinstance(labels, dict):
        return {str(Path(k).stem): v for k, v in labels.items()}
    if hasattr(labels, "columns"):  # a DataFrame
        return {str(Path(str(k)).stem): v for k, v in zip(labels[name_column], labels[label_column])}
    with open(labels, newline="") as f:
        reader = csv.DictReader(f)
        missing = {name_column, label_column} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(
                f"Label table {labels} lacks column(s) {sorted(missing)}; it has "
                f"{reader.fieldnames}. Set name_column= and label_column=."
            )
        return {str(Path(row[name_column]).stem): row[label_column] for row in reader}


def load_particles(
    path: str | os.PathLike,
    *,
    images: str = "images",
    masks: str = "masks",
    labels="labels.csv",
    name_column: str = "name",
    label_column: str = "label",
    return_X_y: bool = False,
):
    """Load particle images, their masks and labels from a folder.

    Expected layout (names are parameters)::

        path/
          images/<name>.tif|.png   one grayscale cut-out per particle
          masks/<name>.tif|.png    same name and shape; nonzero = particle
          labels.csv               columns "name" and "label"

    Parameters
    ----------
    path : str or path-like
        The data folder.
    images, masks : str, default="images", "masks"
        Sub-folders of the images and the masks, matched by file name
        without extension.
    labels : str, path-like, dict, DataFrame or None, default="labels.csv"
        Label table (relative to ``path`` when a relative path), a mapping
        name -> label, or ``None`` for unlabelled data.
    name_column, label_column : str, default="name", "label"
        Columns of the label table.
    return_X_y : bool, default=False
        Return ``(X, y)`` instead of a Bunch.

    Returns
    -------
    data : Bunch
        ``data`` (ParticleImages), ``target`` (ndarray of labels, or None),
        ``names`` (file stems, in the order of ``data``), ``target_names``.
    (X, y) : tuple
        With ``return_X_y=True``.

    Raises
    ------
    FileNotFoundError
        If a folder is missing, or an image has no mask.
    ValueError
        If a labelled image is missing from the table, a file cannot be read
        (corrupt or truncated; the message names it), or for bad images or
        masks (channel axis, shape mismatch, empty or non-binary masks).

    Examples
    --------
    >>> X, y = load_particles("my_particles", return_X_y=True)   # doctest: +SKIP
    """
    root = Path(path)
    image_dir, mask_dir = root / images, root / masks
    for folder in (image_dir, mask_dir):
        if not folder.is_dir():
            raise FileNotFoundError(
                f"{folder} does not exist; load_particles expects {root}/{images}/ and "
                f"{root}/{masks}/ (set images= and masks= for other names)."
            )
    image_files, mask_files = _image_files(image_dir), _image_files(mask_dir)
    if not image_files:
        raise FileNotFoundError(f"No TIFF or PNG images in {image_dir}.")
    missing = sorted(set(image_files) - set(mask_files))
    if missing:
        raise FileNotFoundError(
            f"{len(missing)} image(s) have no mask in {mask_dir}, e.g. {missing[:3]}; masks "
            "must have the same file name (any supported extension)."
        )
    names = sorted(image_files)
    table = None
    if labels is not None:
        if isinstance(labels, (str, os.PathLike)) and not Path(labels).is_absolute():
            labels = root / labels
        table = _read_labels(labels, name_column, label_column)
        unlabelled = [n for n in names if n not in table]
        if unlabelled:
            raise ValueError(
                f"{len(unlabelled)} image(s) have no label in the table, e.g. "
                f"{unlabelled[:3]}; add them or remove the files."
            )
    imgs, msks = [], []
    for name in names:
        image, mask = _read_image_file(image_files[name]), _read_image_file(mask_files[name])
        if mask.ndim == 3 and mask.shape[-1] in (3, 4):  # RGB(A) mask: any colour is foreground
            mask = mask[..., :3].any(axis=-1)
        imgs.append(image)
        msks.append(mask != 0 if mask.dtype != bool else mask)
    try:
        X = ParticleImages(imgs, msks)
    except ValueError as exc:  # name the file, not only the index
        raise ValueError(f"{exc} (files in order: {names[:5]}{' ...' if len(names) > 5 else ''})") from exc
    y = None if table is None else np.asarray([table[n] for n in names])
    if return_X_y:
        return X, y
    return Bunch(
        data=X,
        target=y,
        names=np.asarray(names),
        target_names=None if y is None else np.unique(y),
    )


def extract_particles(
    image, label_image, *, surround: int = 50, min_area: int = 1
) -> tuple[ParticleImages, np.ndarray]:
    """Cut out every labelled object of a frame, with its mask and surroundings.

    Parameters
    ----------
    image : array-like of shape (height, width)
        The frame.
    label_image : array-like of int, same shape
        Instance labels, 0 = background (e.g. a CTC ``man_seg*.tif``).
    surround : int, default=50
        Pixels of context around each object's bounding box (50 in seed 003),
        clipped at the frame's edges.
    min_area : int, default=1
        Objects with fewer pixels are skipped.

    Returns
    -------
    X : ParticleImages
        One cut-out per object; the mask is that object only (touching
        neighbours stay in the image, outside the mask).
    ids : ndarray of int
        The label of each cut-out.

    Examples
    --------
    >>> import numpy as np
    >>> labels = np.zeros((40, 40), int); labels[5:10, 5:12] = 1; labels[20:30, 22:28] = 2
    >>> X, ids = extract_particles(np.random.rand(40, 40), labels, surround=3)
    >>> ids.tolist(), X.sizes.tolist()
    ([1, 2], [[11, 13], [16, 12]])
    """
    image, label_image = np.asarray(image), np.asarray(label_image)
    if image.shape != label_image.shape or image.ndim != 2:
        raise ValueError(
            f"image {image.shape} and label_image {label_image.shape} must be 2-D arrays of "
            "the same shape."
        )
    if not np.issubdtype(label_image.dtype, np.integer):
        raise ValueError(f"label_image must hold integer labels; got dtype {label_image.dtype}.")
    images, masks, ids = [], [], []
    for index, box in enumerate(ndimage.find_objects(label_image), start=1):
        if box is None:
            continue
        rows = slice(max(0, box[0].start - surround), min(image.shape[0], box[0].stop + surround))
        cols = slice(max(0, box[1].start - surround), min(image.shape[1], box[1].stop + surround))
        mask = label_image[rows, cols] == index
        if mask.sum() < min_area:
            continue
        images.append(image[rows, cols])
        masks.append(mask)
        ids.append(index)
    if not images:
        raise ValueError("label_image holds no object (all zero, or all below min_area).")
    return ParticleImages(images, masks), np.asarray(ids)
