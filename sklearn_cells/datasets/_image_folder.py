"""Loaders for plain image files: folders of image/mask pairs and multi-page TIFF stacks.

- :func:`load_image_folder`: one 2-D image per file, with an optional instance (or binary)
  mask per image, matched by file name — the layout of most segmentation data sets
  (Cellpose's ``name.tif`` + ``name_masks.png``, DSB-style ``images/`` + ``masks/``);
- :func:`load_tiff_stack`: one multi-page TIFF as a time-lapse ``(T, H, W)``.

For the Cell Tracking Challenge layout use :func:`~sklearn_cells.datasets.load_ctc_sequence`.
TIFF files are read with tifffile, PNG (and JPEG/BMP) with Pillow, keeping their dtype.
"""

from __future__ import annotations

import numbers
import re
from os import PathLike
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ..metrics._segmentation import check_labels
from ..utils._optional import import_optional
from ._particles import _PILLOW, _TIFF, _read_image_file

__all__ = ["load_image_folder", "load_tiff_stack"]

_SUPPORTED = _TIFF | _PILLOW


def _natural_key(name: str) -> list:
    """Sort ``t2`` before ``t10``: digits compare as numbers."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def _check_folder(folder, what: str) -> Path:
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{what} {folder} is not a folder; pass the folder that holds "
                                "the TIFF/PNG files.")
    return folder


def _list_images(folder: Path) -> dict[str, Path]:
    """Supported files by stem; hidden files (``.DS_Store``, macOS ``._name.tif``) skipped."""
    files: dict[str, Path] = {}
    others = []
    for p in sorted(folder.iterdir()):
        if not p.is_file() or p.name.startswith("."):
            continue
        if p.suffix.lower() not in _SUPPORTED:
            others.append(p.name)
            continue
        if p.stem in files:
            raise ValueError(
                f"{folder} holds two files named {p.stem!r} ({files[p.stem].name} and "
                f"{p.name}); keep one file per image."
            )
        files[p.stem] = p
    if not files:
        found = f" (it holds {len(others)} other file(s), e.g. {others[:3]})" if others else ""
        raise FileNotFoundError(
            f"No images in {folder}{found}; supported extensions: {sorted(_SUPPORTED)}."
        )
    return files


def _mask_name_parser(mask_pattern: str) -> re.Pattern:
    if not isinstance(mask_pattern, str) or mask_pattern.count("{stem}") != 1:
        raise ValueError(
            f"mask_pattern={mask_pattern!r} must be a string holding '{{stem}}' once, the "
            "image's name without extension, e.g. '{stem}' or '{stem}_masks'."
        )
    try:
        mask_pattern.format(stem="x")
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(
            f"mask_pattern={mask_pattern!r} is not a valid pattern ({exc!r}); use only the "
            "'{stem}' placeholder, e.g. '{stem}_masks'."
        ) from exc
    prefix, suffix = mask_pattern.split("{stem}")
    return re.compile(f"^{re.escape(prefix)}(.+){re.escape(suffix)}$")


def _read(path: Path) -> np.ndarray:
    image = _read_image_file(path)
    while image.ndim > 2 and image.shape[0] == 1:  # (1, H, W) pages
        image = image[0]
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    return image


def _gray(image: np.ndarray, path: Path, channel: int | None) -> np.ndarray:
    if image.ndim == 2:
        return image
    if image.ndim == 3 and image.shape[-1] <= 4:  # channel-last colour (RGB, RGBA, LA)
        if channel is None:
            raise ValueError(
                f"{path} is a colour image of shape {image.shape} (channels last) but gray "
                "images are expected. Pass channel=i to keep one channel (e.g. channel=2 for "
                "a blue nuclear stain), or save the images as single-channel files."
            )
        if not -image.shape[-1] <= channel < image.shape[-1]:
            raise ValueError(
                f"channel={channel} is out of range for {path}, which has "
                f"{image.shape[-1]} channels."
            )
        return image[..., channel]
    raise ValueError(
        f"{path} has shape {image.shape}, not a 2-D image; load_image_folder reads one plane "
        "per file. Use load_tiff_stack for a multi-page time-lapse, or save the channel or "
        "plane you need as a 2-D file."
    )


def _label_mask(mask: np.ndarray, path: Path) -> np.ndarray:
    if mask.ndim != 2:
        raise ValueError(
            f"mask {path} has shape {mask.shape}; masks must be single-channel 2-D label "
            "images (0 = background, one integer per object, or 0/non-zero). Convert colour "
            "masks to one channel before loading."
        )
    check_labels(mask, f"mask {path}", "masks must hold integer labels. Threshold "
                                       "probability maps first.")
    if mask.size and (mask.min() < 0 or mask.max() > np.iinfo(np.int32).max):
        raise ValueError(
            f"mask {path} holds labels outside [0, {np.iinfo(np.int32).max}] (min {mask.min()}, "
            f"max {mask.max()}); use 0 for background and positive integers for objects."
        )
    return mask.astype(np.int32)


def _stack_if_equal(arrays: list[np.ndarray]):
    if len({a.shape for a in arrays}) == 1:
        return np.stack(arrays)
    return arrays


def _find_masks(images_dir: Path, masks_dir, image_files: dict[str, Path], mask_pattern: str,
                parse_mask: re.Pattern) -> tuple[dict[str, Path], dict[str, Path]]:
    """The image and mask files by stem; masks next to the images are told apart by name."""
    masks_dir = _check_folder(masks_dir, "masks_dir")
    if masks_dir.resolve() == images_dir.resolve():
        if mask_pattern == "{stem}":
            raise ValueError(
                "masks_dir is images_dir, so images and masks cannot be told apart by "
                "name; set mask_pattern, e.g. '{stem}_masks' for a_masks.png next to "
                "a.png."
            )
        mask_files = {s: p for s, p in image_files.items() if parse_mask.match(s)}
        image_files = {s: p for s, p in image_files.items() if s not in mask_files}
        if not image_files:
            raise FileNotFoundError(
                f"Every file of {images_dir} matches mask_pattern={mask_pattern!r}; no "
                "images are left."
            )
    else:
        mask_files = _list_images(masks_dir)
    _check_pairs(images_dir, masks_dir, image_files, mask_files, mask_pattern, parse_mask)
    return image_files, mask_files


def _check_pairs(images_dir: Path, masks_dir: Path, image_files: dict[str, Path],
                 mask_files: dict[str, Path], mask_pattern: str, parse_mask: re.Pattern) -> None:
    """Every image has a mask and every mask an image."""
    expected = {mask_pattern.format(stem=s): s for s in image_files}
    missing = [s for s in image_files if mask_pattern.format(stem=s) not in mask_files]
    if missing:
        examples = ", ".join(
            f"{image_files[s].name} (expected {mask_pattern.format(stem=s)}.*)"
            for s in sorted(missing, key=_natural_key)[:3])
        raise FileNotFoundError(
            f"{len(missing)} image(s) of {images_dir} have no mask in {masks_dir}: "
            f"{examples}. Masks are matched by name with mask_pattern={mask_pattern!r}."
        )
    orphans = sorted((m for m in mask_files if m not in expected), key=_natural_key)
    if orphans:
        examples = []
        for m in orphans[:3]:
            match = parse_mask.match(m)
            hint = (f"expected image {match.group(1)}.*" if match
                    else f"name does not match mask_pattern={mask_pattern!r}")
            examples.append(f"{mask_files[m].name} ({hint})")
        raise ValueError(
            f"{len(orphans)} mask(s) of {masks_dir} have no image in {images_dir}: "
            f"{', '.join(examples)}. Remove them or add the images."
        )


def _read_pair(path: Path, mask_path: Path | None,
               channel: int | None) -> tuple[np.ndarray, np.ndarray | None]:
    """One gray image and its label mask (None without a mask), checked to match in size."""
    image = _gray(_read(path), path, channel)
    if mask_path is None:
        return image, None
    mask = _label_mask(_read(mask_path), mask_path)
    if mask.shape != image.shape:
        raise ValueError(
            f"{mask_path} has shape {mask.shape} but its image {path} has shape "
            f"{image.shape}; a mask must have the size of its image."
        )
    return image, mask


def load_image_folder(
    images_dir: str | PathLike,
    masks_dir: str | PathLike | None = None,
    *,
    mask_pattern: str = "{stem}",
    channel: int | None = None,
    return_X_y: bool = False,
):
    """Load 2-D images and their masks from plain folders, matched by file name.

    Every TIFF/PNG file of ``images_dir`` is one image; its mask is the file of
    ``masks_dir`` whose name without extension (stem) is ``mask_pattern`` with ``{stem}``
    replaced by the image's stem. Extensions may differ (``a.png`` pairs with ``a.tif``).
    With the default ``"{stem}"`` the stems are identical; Cellpose's layout, masks next
    to the images as ``a_masks.png``, is ``masks_dir=images_dir, mask_pattern="{stem}_masks"``
    (files matching the pattern are then the masks). Hidden files and other extensions are
    ignored. Images are returned in natural order of their names (``t2`` before ``t10``).

    Parameters
    ----------
    images_dir : str or path-like
        Folder of images: TIFF (tifffile) or PNG/JPEG/BMP (Pillow), 8- or 16-bit (or
        float), one gray plane per file.
    masks_dir : str or path-like, optional
        Folder of masks: single-channel label images (0 = background, one integer per
        object) or binary masks (0 / non-zero). Every image must have a mask and every
        mask an image. Default: images only.
    mask_pattern : str, default="{stem}"
        The mask's stem, with ``{stem}`` standing for the image's, e.g. ``"{stem}_masks"``
        or ``"mask_{stem}"``.
    channel : int, optional
        For colour images stored channels last (RGB, RGBA): the channel to keep. Without
        it colour images are an error, since a segmenter expects gray frames.
    return_X_y : bool, default=False
        Return ``(images, masks)`` instead of a Bunch.

    Returns
    -------
    data : sklearn.utils.Bunch
        - ``images``: ndarray ``(n, H, W)`` when all images have the same size, else a list
          of ``n`` 2-D arrays. Values and dtype as stored (``uint8``, ``uint16``, ...); a
          folder mixing bit depths is stacked in the wider dtype without rescaling;
        - ``masks``: the same container of ``int32`` label images, or None without
          ``masks_dir``. Values are kept: a binary 0/255 PNG stays 0/255 (use
          ``masks > 0`` as foreground);
        - ``names``: ndarray of str, the image stems; ``filenames`` and
          ``mask_filenames`` (or None): ndarray of str, the paths read.
    (images, masks) : tuple
        With ``return_X_y=True``.

    Raises
    ------
    FileNotFoundError
        A folder is missing or holds no image, or an image has no mask.
    ValueError
        A mask without an image, two files with one stem, an image and its mask of
        different sizes, a corrupt file, a colour image without ``channel``, a file that
        is not 2-D, or a mask that does not hold non-negative integer labels.

    See Also
    --------
    load_tiff_stack : a multi-page TIFF as a time-lapse.
    load_ctc_sequence : the Cell Tracking Challenge folder layout.

    Examples
    --------
    >>> import numpy as np, tempfile, tifffile
    >>> from pathlib import Path
    >>> root = Path(tempfile.mkdtemp())
    >>> (root / "img").mkdir(); (root / "lab").mkdir()
    >>> for name in ["a", "b"]:
    ...     tifffile.imwrite(root / "img" / f"{name}.tif", np.zeros((6, 8), np.uint16))
    ...     tifffile.imwrite(root / "lab" / f"{name}.tif", np.ones((6, 8), np.uint8))
    >>> data = load_image_folder(root / "img", root / "lab")
    >>> data.images.shape, data.images.dtype, data.masks.dtype, data.names.tolist()
    ((2, 6, 8), dtype('uint16'), dtype('int32'), ['a', 'b'])
    """
    if channel is not None and (isinstance(channel, bool)
                                or not isinstance(channel, numbers.Integral)):
        raise TypeError(f"channel={channel!r} must be an integer channel index or None.")
    images_dir = _check_folder(images_dir, "images_dir")
    parse_mask = _mask_name_parser(mask_pattern)
    image_files = _list_images(images_dir)
    mask_files: dict[str, Path] | None = None
    if masks_dir is not None:
        image_files, mask_files = _find_masks(images_dir, masks_dir, image_files, mask_pattern,
                                              parse_mask)

    names = sorted(image_files, key=_natural_key)
    mask_paths = [None if mask_files is None else mask_files[mask_pattern.format(stem=name)]
                  for name in names]
    pairs = [_read_pair(image_files[name], mask_path, channel)
             for name, mask_path in zip(names, mask_paths)]
    X = _stack_if_equal([image for image, _ in pairs])
    y = _stack_if_equal([mask for _, mask in pairs]) if mask_files is not None else None
    if return_X_y:
        return X, y
    return Bunch(
        images=X,
        masks=y,
        names=np.asarray(names),
        filenames=np.asarray([str(image_files[n]) for n in names]),
        mask_filenames=None if mask_files is None else np.asarray([str(p) for p in mask_paths]),
    )


def load_tiff_stack(path: str | PathLike, *, channel: int | None = None) -> np.ndarray:
    """Read a multi-page TIFF as a time-lapse ``(T, H, W)``.

    The first image series of the file is read with tifffile (ImageJ hyperstacks, OME-TIFF
    and plain multi-page files alike) and axes of length 1 dropped. What remains must be
    one plane per page: a 3-D array is read as ``(T, H, W)`` whatever its axis letters
    (ImageJ often labels an unannotated time-lapse as slices ``Z``), a 2-D one as a single
    frame ``(1, H, W)``. A channel axis (``C``, or colour samples stored last) must be
    resolved with ``channel``.

    Parameters
    ----------
    path : str or path-like
        A ``.tif``/``.tiff`` file.
    channel : int, optional
        The channel to keep from a file with a channel axis (e.g. ImageJ ``TCYX``) or
        colour frames (``TYXS``, RGB).

    Returns
    -------
    frames : ndarray of shape (T, H, W)
        In page order, with the file's dtype.

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    ValueError
        Not a TIFF, a corrupt file, a channel axis without ``channel`` (or ``channel``
        without one, or out of range), or more than one axis besides Y and X (e.g.
        time and depth).

    See Also
    --------
    load_image_folder : a folder of 2-D images and masks.

    Examples
    --------
    >>> import numpy as np, tempfile, tifffile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "movie.tif")
    >>> tifffile.imwrite(path, np.zeros((5, 6, 8), np.uint16))
    >>> load_tiff_stack(path).shape
    (5, 6, 8)
    """
    path = Path(path)
    if path.suffix.lower() not in _TIFF:
        raise ValueError(f"{path.name} is not a TIFF file (extension {path.suffix!r}); "
                         "load_tiff_stack reads .tif/.tiff stacks.")
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist.")
    if channel is not None and (isinstance(channel, bool)
                                or not isinstance(channel, numbers.Integral)):
        raise TypeError(f"channel={channel!r} must be an integer channel index or None.")
    tifffile = import_optional("tifffile", "Reading TIFF", "io")
    try:
        with tifffile.TiffFile(path) as tif:
            series = tif.series[0]
            data, axes = series.asarray(), series.axes
    except Exception as exc:  # any decoder failure: name the file, keep the cause
        raise ValueError(
            f"Cannot read {path}: {exc}. The file is corrupt or not a valid TIFF; re-export it."
        ) from exc

    full_shape, full_axes = data.shape, axes
    keep = [i for i, (n, a) in enumerate(zip(data.shape, axes)) if n > 1 or a in "YX"]
    data = data.reshape([data.shape[i] for i in keep])
    axes = "".join(axes[i] for i in keep)
    channel_axis = None
    if data.ndim >= 3:
        if axes.endswith("S"):  # colour samples interleaved per pixel
            channel_axis = data.ndim - 1
        elif "C" in axes:
            channel_axis = axes.index("C")
    if channel_axis is None and channel is not None:
        raise ValueError(
            f"channel={channel} was given but {path.name} has no channel axis (shape "
            f"{full_shape}, axes {full_axes!r}); leave channel=None."
        )
    if channel_axis is not None:
        if channel is None:
            raise ValueError(
                f"{path.name} has a channel axis (shape {full_shape}, axes {full_axes!r}); "
                "pass channel=i to keep one channel as a gray time-lapse."
            )
        n_channels = data.shape[channel_axis]
        if not -n_channels <= channel < n_channels:
            raise ValueError(f"channel={channel} is out of range for {path.name}, which has "
                             f"{n_channels} channels.")
        data = np.take(data, channel, axis=channel_axis)
    if data.ndim == 2:
        return data[None]
    if data.ndim != 3:
        raise ValueError(
            f"{path.name} has shape {full_shape} (axes {full_axes!r}): more than one axis "
            "besides the image plane, e.g. time and depth. Select or project one first, e.g. "
            "tifffile.imread(path).max(axis=1) for a maximum projection over Z."
        )
    return data
