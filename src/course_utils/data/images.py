"""Validating, converting and resizing images before use: corrupt, truncated, not-an-image and oversized
files are refused with a reason; every mode (grayscale, palette, transparency, CMYK) becomes RGB.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from course_utils.data.files import atomic_path

#: Pillow's own decompression-bomb limit is kept (never disabled): larger images are refused.
MAX_PIXELS = Image.MAX_IMAGE_PIXELS


RESIZE_POLICIES = ("squash", "crop")


class ImageError(ValueError):
    """An image that cannot be used; the message says why (the reason goes to failures.csv)."""


def looks_like_html(data: bytes) -> bool:
    """Whether bytes start like a web page: the error or "please wait" page a server sends instead of a file."""
    return (
        data[:512]
        .lstrip()
        .lower()
        .startswith((b"<!doctype", b"<html", b"<?xml", b"<head", b"<body"))
    )


def open_validated(data: bytes, source: str = "image") -> Image.Image:
    """Decode bytes fully into an RGB image, or raise ImageError naming the problem."""
    if not data:
        raise ImageError(f"{source}: empty file")
    if looks_like_html(data):
        raise ImageError(f"{source}: an HTML page, not an image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                raise ImageError(
                    f"{source}: {image.width}×{image.height} pixels exceeds the limit of {MAX_PIXELS}"
                )
            image.load()  # decodes everything: a truncated file fails here
    except ImageError:
        raise
    except (
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as err:
        raise ImageError(
            f"{source}: decompression bomb refused ({err})"
        ) from None
    except (
        OSError,
        SyntaxError,
        ValueError,
        Image.UnidentifiedImageError,
    ) as err:
        kind = (
            "truncated"
            if "truncated" in str(err).lower()
            else "corrupt or not an image"
        )
        raise ImageError(f"{source}: {kind} ({err})") from None
    return to_rgb(image)


def to_rgb(image: Image.Image) -> Image.Image:
    """Any Pillow mode to RGB; transparency is flattened onto white, as a browser would show it."""
    image = ImageOps.exif_transpose(image)
    if image.mode.startswith("I") or image.mode == "F":
        image = to_8bit(image)
    if (
        image.mode in ("P", "PA", "RGBA", "LA", "La", "RGBa")
        or "transparency" in image.info
    ):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        return background
    if image.mode != "RGB":
        image = image.convert("RGB")
    return image


def to_8bit(image: Image.Image) -> Image.Image:
    """16-bit, 32-bit and float grayscale as 8-bit ``L``, scaled to its range (Pillow would clip it to white)."""

    values = np.asarray(image, dtype=np.float64)
    peak = float(values.max(initial=0))
    if image.mode.startswith("I;16") or 255 < peak <= 65535:
        top = 65535.0
    elif image.mode == "F" and peak <= 1:
        top = 1.0
    else:
        top = max(peak, 255.0)
    return Image.fromarray(
        np.clip(values * (255 / top), 0, 255).round().astype(np.uint8), "L"
    )


def resize(
    image: Image.Image, size: int, policy: str = "squash"
) -> Image.Image:
    """Make a SIZE×SIZE picture: ``squash`` (the study: ignore the aspect ratio) or ``crop`` (centre crop)."""
    if policy not in RESIZE_POLICIES:
        raise ValueError(
            f"unknown resize policy {policy!r}; use one of: {', '.join(RESIZE_POLICIES)}"
        )
    if policy == "crop":
        return ImageOps.fit(image, (size, size), Image.Resampling.LANCZOS)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def save_atomic(image: Image.Image, path: Path) -> None:
    """Write an image through a temporary file in the same folder, then rename: never a half-written file."""
    fmt = "PNG" if path.suffix.lower() == ".png" else "JPEG"
    with atomic_path(path) as tmp:
        image.save(tmp, fmt, **({"quality": 95} if fmt == "JPEG" else {}))


def load_square(
    path: Path, size: int, policy: str = "squash"
) -> Image.Image:
    """Read, validate and resize one image file."""
    return resize(
        open_validated(Path(path).read_bytes(), str(path)), size, policy
    )


def image_files(images_dir: str | os.PathLike) -> dict[str, Path]:
    """The image file of each artwork in a folder of images named by ID (``<ID>.<ext>``; hidden files skipped):
    an artwork whose link died has none. An empty dict for a folder that does not exist."""
    folder = Path(images_dir)
    files: dict[str, Path] = {}
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.is_file() and not path.name.startswith("."):
                files.setdefault(path.name.split(".", 1)[0], path)
    return files
