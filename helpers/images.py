"""Loading, converting and resizing images, with clear errors for bad input.

Every image the course hands to a model is a float32 RGB array in [0, 1] with
shape ``[height, width, 3]`` (one image) or ``[n, height, width, 3]`` (a
batch). :func:`load_image` turns anything a student may bring into that form:

* a path to a PNG/JPEG/... file, a URL (with a timeout and a size cap), raw
  bytes (e.g. from an upload widget) or a NumPy array;
* grayscale images become RGB, RGBA is composited on white, 16-bit and float
  images are rescaled, and very large images are shrunk;
* a corrupt or unreadable file raises :class:`ImageError` with a message that
  says what went wrong.
"""

from __future__ import annotations

import io
import time
import urllib.request
import warnings
from pathlib import Path

import numpy as np

from helpers import config

#: Longest side kept when loading; larger images are shrunk (with a warning).
MAX_SIDE = 2048
#: Images with more pixels than this are refused outright (decompression bombs).
MAX_PIXELS = 120_000_000
#: Largest download accepted by :func:`load_image` for URLs, in bytes.
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
#: Seconds to wait for a URL before giving up.
URL_TIMEOUT = 10.0

SAMPLE_PHOTOS = {
    "cat": "chelsea.png",
    "coffee": "coffee.png",
    "astronaut": "astronaut.png",
    "rocket": "rocket.jpg",
    "china": "china.jpg",
    "flower": "flower.jpg",
}


class ImageError(ValueError):
    """An image could not be read or converted; the message says why."""


def _fetch_url(url: str, timeout: float, max_bytes: int) -> bytes:
    """Download ``url`` within ``timeout`` seconds in total (a server that drips bytes cannot stall it)."""
    deadline = time.monotonic() + timeout
    chunks, size = [], 0
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (course tool)
            length = response.headers.get("Content-Length")
            if length is not None and int(length) > max_bytes:
                raise ImageError(f"{url} is {int(length) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB.")
            sock = getattr(getattr(response.fp, "raw", None), "_sock", None)
            while size <= max_bytes:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"the download took longer than {timeout:g} s in total")
                if sock is not None:
                    sock.settimeout(left)  # no single read may outlast the deadline
                chunk = response.read1(65536)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
    except ImageError:
        raise
    except Exception as exc:  # URLError, timeout, HTTPError, ...
        raise ImageError(f"Could not download {url} within {timeout:g} s: {exc}. "
                         "If you are offline, use a local file or a sample photo.") from exc
    if size > max_bytes:
        raise ImageError(f"{url} is larger than the {max_bytes / 1e6:.0f} MB limit.")
    return b"".join(chunks)


def _decode(data: bytes, what: str, max_side: int | None = None) -> np.ndarray:
    """Decode image bytes; an image longer than ``max_side`` is shrunk by PIL *before* it becomes float
    (JPEG draft mode, then ``thumbnail``), so a huge photo never exists as a full-size float array."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            w0, h0 = img.size
            if max_side and max(w0, h0) > max_side and img.mode in ("RGB", "RGBA", "L", "LA", "P", "CMYK", "YCbCr"):
                target = (max(1, round(w0 * max_side / max(w0, h0))), max(1, round(h0 * max_side / max(w0, h0))))
                img.draft(img.mode if img.mode in ("RGB", "L") else None, target)  # JPEG: decode at 1/2..1/8 size
                img.thumbnail(target, Image.LANCZOS, reducing_gap=2.0)
                warnings.warn(f"{what} is {w0}x{h0} pixels; shrinking it to {img.size[0]}x{img.size[1]}.",
                              stacklevel=4)
            img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(f"{what} is too large to load safely ({exc}).") from exc
    except Image.UnidentifiedImageError as exc:
        raise ImageError(f"{what} is not a readable image: its bytes are not in any known image format "
                         "(PNG, JPEG, GIF, BMP, TIFF, WebP, ...).") from exc
    except Exception as exc:  # truncated or damaged data
        raise ImageError(f"{what} is not a readable image (corrupt or truncated): {exc}") from exc
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        img = img.convert("RGBA")
        white = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, img).convert("RGB")
    elif img.mode in ("I;16", "I;16B", "I;16L", "I;16N"):
        return to_rgb_float(np.asarray(img, dtype=np.float64) / 65535.0)  # 16-bit: its real range, even when dark
    elif img.mode == "I":  # 32-bit integers: 16-bit data (PNG) unless the values say otherwise
        arr = np.asarray(img, dtype=np.float64)
        return to_rgb_float(arr / (65535.0 if arr.max() <= 65535 else arr.max()))
    elif img.mode == "F":
        return to_rgb_float(np.asarray(img, dtype=np.float32))
    elif img.mode != "RGB":
        img = img.convert("RGB")
    return np.asarray(img, dtype=np.float32) / 255.0


def to_rgb_float(array: np.ndarray, what: str = "the array") -> np.ndarray:
    """Convert an image array of any common layout to float32 RGB in [0, 1].

    Accepts ``[h, w]`` (grayscale), ``[h, w, 1]``, ``[h, w, 3]`` and ``[h, w, 4]``
    (alpha composited on white), of dtype uint8, uint16, bool or float.
    """
    arr = np.asarray(array)
    if arr.dtype == object or arr.size == 0:
        raise ImageError(f"{what} is empty or not numeric (dtype {arr.dtype}, shape {arr.shape}).")
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.ndim != 3 or arr.shape[-1] not in (1, 3, 4):
        raise ImageError(f"{what} has shape {arr.shape}; expected [height, width] or [height, width, 1|3|4].")
    if arr.dtype == np.uint8:
        arr = arr.astype(np.float32) / 255.0
    elif arr.dtype == np.uint16:
        arr = arr.astype(np.float32) / 65535.0
    elif arr.dtype == bool:
        arr = arr.astype(np.float32)
    elif np.issubdtype(arr.dtype, np.integer):  # 8-bit values in a wider type, else 16-bit, else their own range
        top = float(arr.max())
        arr = arr.astype(np.float32) / (255.0 if top <= 255 else 65535.0 if top <= 65535 else top)
    else:
        arr = arr.astype(np.float32)
        if not np.all(np.isfinite(arr)):
            raise ImageError(f"{what} contains NaN or infinite values.")
        if arr.min() < 0.0 or arr.max() > 1.0:
            if arr.min() >= 0.0 and arr.max() <= 255.0:
                arr = arr / 255.0  # a float image on the 0..255 scale
            else:
                raise ImageError(f"{what} has values in [{arr.min():.3g}, {arr.max():.3g}]; "
                                 "expected [0, 1] or [0, 255].")
    if arr.shape[-1] == 1:
        arr = np.repeat(arr, 3, axis=-1)
    elif arr.shape[-1] == 4:
        alpha = arr[..., 3:4]
        arr = arr[..., :3] * alpha + (1.0 - alpha)
    return np.clip(arr, 0.0, 1.0).astype(np.float32)


def _shrink_if_huge(img: np.ndarray, what: str, max_side: int) -> np.ndarray:
    h, w = img.shape[:2]
    if max(h, w) <= max_side:
        return img
    scale = max_side / max(h, w)
    new = (max(1, round(h * scale)), max(1, round(w * scale)))
    warnings.warn(f"{what} is {w}x{h} pixels; shrinking it to {new[1]}x{new[0]}.", stacklevel=3)
    return resize(img, new)


def load_image(source, size: int | tuple[int, int] | None = None, max_side: int = MAX_SIDE,
               timeout: float = URL_TIMEOUT, max_bytes: int = MAX_DOWNLOAD_BYTES) -> np.ndarray:
    """Load an image as float32 RGB ``[h, w, 3]`` in [0, 1].

    Args:
      source: a file path, an ``http(s)://`` URL, raw encoded bytes, a NumPy
        array, or the name of a sample photo (see :data:`SAMPLE_PHOTOS`).
      size: optional output size, an int (square) or ``(height, width)``.
      max_side: longer images are shrunk to this side (with a warning).
      timeout: seconds allowed for a URL download.
      max_bytes: largest download accepted from a URL.

    Raises:
      ImageError: for a missing, corrupt, oversized or unconvertible image.
    """
    if isinstance(source, np.ndarray):
        img = to_rgb_float(source)
        what = f"the array of shape {source.shape}"
    elif isinstance(source, (bytes, bytearray, memoryview)):
        what = "the uploaded data"
        if len(source) > max_bytes:
            raise ImageError(f"{what} is larger than the {max_bytes / 1e6:.0f} MB limit.")
        img = _decode(bytes(source), what, max_side)
    elif isinstance(source, (str, Path)):
        text = str(source)
        if text in SAMPLE_PHOTOS:
            return load_image(config.data_path("samples", SAMPLE_PHOTOS[text]), size=size, max_side=max_side)
        if text.startswith(("http://", "https://")):
            what = text
            img = _decode(_fetch_url(text, timeout, max_bytes), what, max_side)
        else:
            path = Path(text).expanduser()
            what = str(path)
            if not path.is_file():
                samples = ", ".join(SAMPLE_PHOTOS)
                raise ImageError(f"No image file at {path}. Give a path, a URL, an array or a sample name ({samples}).")
            img = _decode(path.read_bytes(), what, max_side)
    else:
        raise ImageError(f"Cannot load an image from a {type(source).__name__}; "
                         "give a path, a URL, bytes or a NumPy array.")
    img = _shrink_if_huge(img, what, max_side)
    if size is not None:
        img = resize(img, size)
    return img


def resize(image: np.ndarray, size: int | tuple[int, int], crop: bool = False) -> np.ndarray:
    """Resize an image ``[h, w, 3]`` or batch ``[n, h, w, 3]`` with antialiasing.

    With ``crop=True`` the image is first centre-cropped to the target aspect
    ratio, so nothing is squashed.
    """
    import tensorflow as tf

    h, w = (size, size) if np.isscalar(size) else tuple(int(s) for s in size)
    arr = np.asarray(image, dtype=np.float32)
    single = arr.ndim == 3
    batch = arr[None] if single else arr
    if crop:
        ih, iw = batch.shape[1:3]
        target = w / h
        if iw / ih > target:
            nw = int(round(ih * target))
            x0 = (iw - nw) // 2
            batch = batch[:, :, x0:x0 + nw]
        else:
            nh = int(round(iw / target))
            y0 = (ih - nh) // 2
            batch = batch[:, y0:y0 + nh]
    if batch.shape[1:3] == (h, w):
        out = batch
    else:
        out = tf.image.resize(batch, (h, w), method="area" if batch.shape[1] > h else "bilinear",
                              antialias=True).numpy()
    out = np.clip(out, 0.0, 1.0).astype(np.float32)
    return out[0] if single else out


def as_batch(images) -> np.ndarray:
    """A float32 batch ``[n, h, w, 3]`` from one image or a batch (validated)."""
    arr = np.asarray(images, dtype=np.float32)
    if arr.ndim == 3:
        arr = arr[None]
    if arr.ndim != 4 or arr.shape[-1] != 3:
        raise ImageError(f"expected an image [h, w, 3] or a batch [n, h, w, 3]; got shape {arr.shape}.")
    return arr


def model_batch(images, what: str = "images", model=None) -> np.ndarray:
    """A validated float32 batch ``[n, h, w, 3]`` in [0, 1] for a model of the course.

    Grayscale images (one channel) are repeated into R, G and B; uint8 and
    uint16 images are converted (divided by 255 or 65535, with a warning). With
    ``model`` (a Keras model), images are resized to a fixed-size model's input
    (with a note) and refused when smaller than it can take
    (:func:`fit_batch`). Float images
    on the 0..255 scale, NaN/infinite pixels, empty batches and non-numeric
    input are refused with a :class:`ImageError` that says what to do.
    """
    if isinstance(images, (str, bytes, Path)):
        raise ImageError(f"{what} must be an image array [h, w, 3] or a batch [n, h, w, 3]; got the "
                         f"{type(images).__name__} {images!r:.60}. Load files with helpers.images.load_image.")
    arr = np.asarray(images)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise ImageError(f"{what} are not numeric (dtype {arr.dtype}).")
    if arr.ndim == 2:  # one grayscale image [h, w]
        arr = arr[..., None]
    if arr.ndim == 3:
        arr = arr[None]
    if arr.ndim != 4 or arr.shape[-1] not in (1, 3):
        raise ImageError(f"expected an image [h, w, 3] or a batch [n, h, w, 3] (or one channel for grayscale); "
                         f"got shape {arr.shape}.")
    if arr.shape[0] == 0:
        raise ImageError(f"{what}: the batch is empty (shape {arr.shape}); give at least one image.")
    if arr.shape[-1] == 1:  # grayscale: the same values in R, G and B (a grayscale model sees their mean)
        arr = np.repeat(arr, 3, axis=-1)
    if arr.dtype == np.uint8:
        warnings.warn(f"{what} are uint8 (0..255): converted to float32 in [0, 1] by dividing by 255.", stacklevel=3)
        arr = arr.astype(np.float32) / 255.0
        return _fit(arr, model, what)
    if arr.dtype == np.uint16:
        warnings.warn(f"{what} are uint16 (0..65535): converted to float32 in [0, 1] by dividing by 65535.",
                      stacklevel=3)
        return _fit(arr.astype(np.float32) / 65535.0, model, what)
    x = arr.astype(np.float32)
    if not np.all(np.isfinite(x)):
        raise ImageError(f"{what} contain {int((~np.isfinite(x)).sum())} NaN or infinite values; fix or drop them.")
    lo, hi = float(x.min()), float(x.max())
    if lo >= -0.5 and 1.5 < hi <= 255:  # the classic mistake: photo pixels on the 0..255 scale
        raise ImageError(f"{what} have values in [{lo:.3g}, {hi:.3g}], but the course's models take RGB in "
                         "[0, 1]. They look like 0..255 pixel values: divide by 255.")
    if hi > 1.5 or lo < -0.5:  # e.g. an unclipped gradient-ascent result: legitimate, but say so
        from helpers.adapt import is_adapter

        if lo < -0.5 and model is not None and is_adapter(model):
            raise ImageError(f"{what} have values in [{lo:.3g}, {hi:.3g}]: they look already preprocessed for the "
                             "model (e.g. by preprocess_input). The course applies the model's preprocessing itself: "
                             "give the images in [0, 1] (pixel values / 255).")
        warnings.warn(f"{what} have values in [{lo:.3g}, {hi:.3g}], far outside the [0, 1] the course's models "
                      "take; they are used as they are (clip them for a real image).", stacklevel=3)
    return _fit(x, model, what)


def _fit(x: np.ndarray, model, what: str) -> np.ndarray:
    if model is None:
        return x
    return fit_batch(model, x, what)


def fit_batch(model, x: np.ndarray, what: str = "images") -> np.ndarray:
    """``x`` resized to a fixed-size model's input (one note), or refused when smaller than the model takes."""
    from helpers.adapt import MIN_SIDE, input_shape, min_side

    shape = input_shape(model)
    h, w = int(x.shape[1]), int(x.shape[2])
    if (h, w) == (shape[1], shape[2]):
        return x  # exactly what the model takes, however small
    if min(h, w) < MIN_SIDE:
        raise ImageError(f"{what} are {h}x{w} pixels; the course needs at least {MIN_SIDE}x{MIN_SIDE} "
                         f"(this model takes {shape[1] or 'any'}x{shape[2] or 'any'}).")
    if shape[1] is not None and shape[2] is not None:
        if (h, w) != (shape[1], shape[2]):
            warnings.warn(f"{what} are {h}x{w}; {model.name!r} takes {shape[1]}x{shape[2]}, so they are resized.",
                          stacklevel=3)
            x = resize(x, (int(shape[1]), int(shape[2])))
        return x
    need = min_side(model)
    if min(h, w) < need:
        raise ImageError(f"{what} are {h}x{w} pixels; {model.name!r} needs at least {need}x{need}.")
    return x


def to_uint8(image: np.ndarray) -> np.ndarray:
    """Float image in [0, 1] to uint8 for saving or display."""
    return (np.clip(np.asarray(image, dtype=np.float32), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def save_png(image: np.ndarray, path: str | Path) -> Path:
    """Save a float [0, 1] (or uint8) RGB image to a PNG file and return its path."""
    from PIL import Image

    arr = np.asarray(image)
    arr = arr if arr.dtype == np.uint8 else to_uint8(arr)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path, format="PNG")
    return path


def normalize_map(x: np.ndarray, axis=None, eps: float = 1e-12) -> np.ndarray:
    """Scale an array to [0, 1] (min-max); a constant array becomes zeros, never NaN."""
    x = np.asarray(x, dtype=np.float32)
    lo = np.min(x, axis=axis, keepdims=axis is not None)
    hi = np.max(x, axis=axis, keepdims=axis is not None)
    span = hi - lo
    return np.where(span > eps, (x - lo) / np.maximum(span, eps), 0.0).astype(np.float32)
