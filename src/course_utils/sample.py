"""The offline sample dataset (SPEC §5): the archive's files and images, generated from a seed.

Each artwork gets a hidden valence–arousal point. Its emotion shares follow from the point (annotators pick
emotions whose coordinates lie near it, with noise) and its picture is painted from it: warm palettes for
pleasant, cool for unpleasant; saturation, contrast and many sharp strokes for aroused, soft blurred shapes
for calm. So the classes are learnable from the pixels, and imbalanced roughly like the real data.
Nothing here is WikiArt data.
"""

from __future__ import annotations

import colorsys
import io
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw, ImageFilter

from course_utils import schema
from course_utils.labels import emotion_table, presence

DEFAULT_N = 600
_ZIP_DATE = (2018, 5, 1, 0, 0, 0)
_CATEGORIES = {
    "Renaissance Art": ["Early Renaissance", "High Renaissance", "Northern Renaissance", "Mannerism"],
    "Post-Renaissance Art": ["Baroque", "Rococo", "Romanticism", "Realism", "Neoclassicism", "Academicism"],
    "Modern Art": ["Impressionism", "Post-Impressionism", "Expressionism", "Cubism", "Surrealism",
                   "Abstract Art", "Fauvism"],
    "Contemporary Art": ["Pop Art", "Minimalism", "Photorealism", "Neo-Expressionism", "Street Art"],
}
_YEARS = {"Renaissance Art": (1400, 1600), "Post-Renaissance Art": (1600, 1880),
          "Modern Art": (1860, 1970), "Contemporary Art": (1950, 2015)}
#: Styles shift the hidden mood a little (so the bias chapter has something to find) and set their share.
_STYLE_SHARE = {"Renaissance Art": 0.2, "Post-Renaissance Art": 0.25, "Modern Art": 0.35, "Contemporary Art": 0.2}
_STYLE_SHIFT = {"Renaissance Art": (0.1, -0.15), "Post-Renaissance Art": (0.0, 0.0),
                "Modern Art": (0.0, 0.1), "Contemporary Art": (-0.1, 0.05)}
_SYLLABLES = ["an", "bel", "cor", "da", "el", "fio", "gra", "hel", "ia", "jon", "ka", "lu", "mar", "no",
              "ori", "pe", "qua", "ros", "sa", "ti", "ur", "ve", "wen", "xa", "yo", "zel"]
_WORDS = ["Garden", "Portrait", "River", "Storm", "Evening", "Still Life", "Harbour", "Dancer", "Mother",
          "Battle", "Flowers", "Silence", "Window", "Crowd", "Winter", "Composition", "Saint", "Bridge"]


@dataclass(frozen=True)
class SampleInfo:
    """Where the generated sample lies."""

    root: Path
    archive_dir: Path
    zip_path: Path
    images_dir: Path
    n: int
    seed: int


def _name(rng: np.random.Generator, parts: int) -> str:
    """A made-up proper name from syllables."""
    return "".join(rng.choice(_SYLLABLES, size=parts)).capitalize()


def _slug(text: str) -> str:
    """A URL slug like WikiArt's."""
    return "-".join("".join(ch for ch in w.lower() if ch.isalnum()) for w in text.split()).strip("-")


def hidden_points(rng: np.random.Generator, styles: np.ndarray) -> np.ndarray:
    """Hidden (valence, arousal) per artwork: mostly pleasant, like the paintings people rate."""
    n = len(styles)
    valence = rng.normal(0.3, 0.4, n)
    arousal = rng.normal(0.3, 0.4, n)
    shift = np.array([_STYLE_SHIFT[s] for s in styles])
    points = np.column_stack([valence, arousal]) + shift
    return np.clip(points, -1, 1)


def emotion_shares(rng: np.random.Generator, points: np.ndarray, noise: float) -> np.ndarray:
    """Annotator shares (0…1, 3 decimals) for the 20 emotions, from each hidden point plus noise."""
    table = emotion_table().loc[list(schema.EMOTIONS)]
    coords = table[["valence", "arousal"]].to_numpy()
    jitter = rng.normal(0, noise, points.shape)
    dist2 = (((points + jitter)[:, None, :] - coords[None, :, :]) ** 2).sum(-1)
    prob = 0.62 * np.exp(-dist2 / (2 * 0.33**2))
    neutral = list(schema.EMOTIONS).index("neutral")
    prob[:, neutral] = 0.5 * np.exp(-(points**2).sum(1) / 0.05)
    annotators = rng.integers(10, 16, size=(len(points), 1))
    counts = rng.binomial(annotators, np.clip(prob, 0, 1))
    return np.round(counts / annotators, 3)


def _metadata(rng: np.random.Generator, n: int, base_url: str | None) -> pd.DataFrame:
    """Meta columns (ID, style, category, artist, title with HTML entities, year, URLs, flags)."""
    styles = rng.choice(list(_STYLE_SHARE), size=n, p=list(_STYLE_SHARE.values()))
    artists = [f"{_name(rng, 2)} {_name(rng, 3)}" for _ in range(max(8, n // 6))]
    rows = []
    for i, style in enumerate(styles):
        ident = rng.bytes(12).hex()
        artist = artists[rng.integers(len(artists))]
        cats = rng.choice(_CATEGORIES[style], size=1 + int(rng.random() < 0.15), replace=False)
        title = str(rng.choice(_WORDS))
        if rng.random() < 0.1:
            title = f"The Artist&#39;s {title}"
        elif rng.random() < 0.05:
            title = f"{title} &amp; Light"
        year = int(rng.integers(*_YEARS[style]))
        ext = "png" if rng.random() < 0.06 else "jpg"
        host = f"uploads{rng.integers(0, 9)}.wikiart.org"
        if rng.random() < 0.05:
            host = "use2-" + host
        base = base_url.rstrip("/") if base_url else f"https://{host}/images"
        a_slug, t_slug = _slug(artist), _slug(title.replace("&#39;", "").replace("&amp;", "and"))
        rows.append({
            "ID": ident, "Style": style, "Category": ",".join(cats), "Artist": artist, "Title": title,
            "Year": year, "Image URL": f"{base}/{a_slug}/{ident}.{ext}",
            "Painting Info URL": f"https://www.wikiart.org/en/{a_slug}/{t_slug}-{year}",
            "Artist Info URL": f"https://www.wikiart.org/en/{a_slug}",
            "Is painting": "yes" if rng.random() < 0.9 else "no",
            "Face/body": rng.choice(["face", "body", "none"], p=[0.25, 0.25, 0.5]),
        })
    return pd.DataFrame(rows)


def paint(point: np.ndarray, rng: np.random.Generator) -> Image.Image:
    """Paint an RGB picture whose palette, contrast and strokes follow a valence–arousal point."""
    valence, arousal = float(point[0]), float(point[1])
    pos, energy = (valence + 1) / 2, (arousal + 1) / 2
    width, height = (int(x) for x in rng.integers(150, 330, size=2))
    base_hue = (0.62 - 0.58 * pos + rng.normal(0, 0.04)) % 1.0  # cool blue … warm orange
    sat = float(np.clip(0.2 + 0.7 * energy + rng.normal(0, 0.05), 0, 1))
    light = float(np.clip(0.3 + 0.45 * pos + rng.normal(0, 0.05), 0.1, 0.9))

    def colour(dh: float, dl: float) -> tuple[int, int, int]:
        r, g, b = colorsys.hls_to_rgb((base_hue + dh) % 1.0, float(np.clip(light + dl, 0, 1)), sat)
        return int(r * 255), int(g * 255), int(b * 255)

    top, bottom = np.array(colour(0.0, 0.15)), np.array(colour(0.05, -0.15))
    ramp = np.linspace(0, 1, height)[:, None, None]
    canvas = (top * (1 - ramp) + bottom * ramp).astype(np.uint8).repeat(width, axis=1)
    image = Image.fromarray(canvas, "RGB")
    draw = ImageDraw.Draw(image)
    contrast = 0.1 + 0.5 * energy
    for _ in range(int(8 + 50 * energy)):
        x, y = rng.integers(0, width), rng.integers(0, height)
        fill = colour(rng.normal(0, 0.06), rng.uniform(-contrast, contrast))
        if rng.random() < energy:  # aroused: sharp, jagged strokes
            dx, dy = rng.integers(-width // 3, width // 3 + 1), rng.integers(-height // 3, height // 3 + 1)
            draw.line([(x, y), (x + dx, y + dy)], fill=fill, width=int(rng.integers(1, 5)))
        else:  # calm: broad soft shapes
            r = int(rng.integers(10, max(11, min(width, height) // 3)))
            draw.ellipse([x - r, y - r, x + r, y + r], fill=fill)
    blur = 4.0 * (1 - energy)
    return image.filter(ImageFilter.GaussianBlur(blur)) if blur > 0.3 else image


def _encode(image: Image.Image, ext: str, rng: np.random.Generator) -> bytes:
    """Encode like real downloads: mostly JPEG, some PNGs in grayscale or palette mode."""
    buf = io.BytesIO()
    if ext == "png":
        mode = rng.choice(["L", "P", "RGB"])
        (image.convert("L") if mode == "L" else image.quantize(64) if mode == "P" else image).save(buf, "PNG")
    else:
        (image.convert("L") if rng.random() < 0.03 else image).save(buf, "JPEG", quality=88)
    return buf.getvalue()


def build_tables(n: int, seed: int, base_url: str | None = None) -> tuple[pd.DataFrame, np.ndarray]:
    """The All table (meta + 60 share columns) and the hidden points, deterministic for (n, seed)."""
    rng = np.random.default_rng([seed, n, 0])
    meta = _metadata(rng, n, base_url)
    points = hidden_points(rng, meta["Style"].to_numpy())
    scopes = {"art": 0.12, "image": 0.18, "title": 0.45}
    shares = {s: emotion_shares(rng, points, noise) for s, noise in scopes.items()}
    meta["Ave. art rating"] = np.round(np.clip(0.9 * points[:, 0] + rng.normal(0.4, 0.8, n), -3, 3), 2)
    frames = [meta] + [pd.DataFrame(shares[s], columns=schema.emotion_columns(s)) for s in scopes]
    table = pd.concat(frames, axis=1)[list(schema.ANNOTATION_COLUMNS)]
    return table, points


def ag_table(all_table: pd.DataFrame, level: int) -> pd.DataFrame:
    """An AgN table from an All table: 1 where at least N×10 % chose the emotion (neutral only when alone)."""
    ag = all_table.copy()
    for scope in schema.SCOPES:
        cols = schema.emotion_columns(scope)
        values = all_table[cols].set_axis(list(schema.EMOTIONS), axis=1)
        ag[cols] = presence(values, level / 10).astype(int).to_numpy()
    return ag


def _write_tsv(table: pd.DataFrame, path: Path) -> None:
    """Tab-separated, one row per artwork, like the archive."""
    table.to_csv(path, sep="\t", index=False, lineterminator="\n")


def _readme(n: int, seed: int) -> str:
    """The sample's README.txt: what it is and what it is not."""
    return (
        "OFFLINE SAMPLE generated by course_utils (Emotions in Art course); not WikiArt data.\n"
        f"{n} made-up artworks, seed {seed}. Same file names and columns as the official WikiArt Emotions\n"
        "archive (Mohammad & Kiritchenko, LREC 2018), whose terms forbid redistributing the real data.\n"
        "WikiArt-annotations.csv (per-annotator answers) is not generated.\n"
    )


def write_sample(
    out: str | os.PathLike, n: int = DEFAULT_N, seed: int = 123, base_url: str | None = None, overwrite: bool = True
) -> SampleInfo:
    """Write the sample (archive folder, its zip and ``images/<ID>.<ext>``) atomically into ``out``.

    With ``overwrite=False`` an existing complete sample is kept (the folder only appears once complete),
    so chapters running in parallel can all ask for the same sample safely.
    """
    if n < 1:
        raise ValueError(f"--n must be at least 1, got {n}")
    out = Path(out)
    if not overwrite and (out / "images").is_dir():
        return sample_info(out, n, seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".sample-", dir=out.parent))
    try:
        table, points = build_tables(n, seed, base_url)
        folder = tmp / schema.ARCHIVE_FOLDER
        images = tmp / "images"
        folder.mkdir()
        images.mkdir()
        _write_tsv(table, folder / schema.ALL_FILE)
        for level, name in schema.AG_FILES.items():
            _write_tsv(ag_table(table, level), folder / name)
        _write_tsv(table[list(schema.INFO_COLUMNS)], folder / schema.INFO_FILE)
        (folder / schema.README_FILE).write_text(_readme(n, seed))
        with zipfile.ZipFile(tmp / schema.ARCHIVE_NAME, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(folder.iterdir()):
                info = zipfile.ZipInfo(f"{schema.ARCHIVE_FOLDER}/{path.name}", date_time=_ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, path.read_bytes())
        for i, (ident, url) in enumerate(zip(table["ID"], table["Image URL"])):
            rng = np.random.default_rng([seed, n, 1, i])
            ext = url.rsplit(".", 1)[-1]
            (images / f"{ident}.{ext}").write_bytes(_encode(paint(points[i], rng), ext, rng))
        np.save(tmp / "hidden_points.npy", points)
        if out.exists() and overwrite:
            shutil.rmtree(out)
        try:
            os.replace(tmp, out)
        except OSError:
            if overwrite or not out.exists():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return sample_info(out, n, seed)


def sample_info(root: Path, n: int, seed: int) -> SampleInfo:
    """The paths of a sample written by :func:`write_sample`."""
    return SampleInfo(root, root / schema.ARCHIVE_FOLDER, root / schema.ARCHIVE_NAME, root / "images", n, seed)
