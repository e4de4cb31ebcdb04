"""The offline sample dataset: the archive's files and images, generated from a seed.

Each artwork gets a hidden valence–arousal point. Its emotion shares follow from the point (annotators pick
emotions whose coordinates lie near it, with noise) and its picture is painted from a mood derived from it
(:func:`painted_points`): warm palettes for pleasant, cool for unpleasant; saturation, contrast and many sharp
strokes for aroused, soft blurred shapes for calm. So the classes are learnable from the pixels, and imbalanced
roughly like the real data.

How learnable is a stated setting, the **signal strength** ``signal``: the painted mood is
``centre + signal · (point − centre) + √(1 − signal²) · unrelated`` (the last term only below 1), where
``unrelated`` is a mood drawn apart from the votes with the hidden points' spread, clipped to the plane. At 1 the
picture shows the hidden mood itself; below 1 painted and hidden mood correlate as much as ``signal`` says, so a
picture tells less about its votes; above 1 the mood is exaggerated towards the plane's edge. Each profile states
its strength (``Budget.sample_signal``: ``quick`` and ``full`` 0.75, where the original CNN gains a few points over
the majority class as small CNNs do on art emotion; ``smoke`` 3, so that the tests' few epochs learn something),
measured in benchmarks/README.md. The stamp records the strength, so samples of two strengths never mix.
Like real artists, each made-up one has a run of works close in style and mood (:func:`assign_artists`) and a
hand of its own (:func:`hand`: a palette shift, a stroke width, faint stripes), so a random file split lets a
model partly recognise the artist, as on WikiArt.

The files copy the official archive's format point by point, so code that reads the sample reads
the real files: 72 columns in the emotion files, 8 in WikiArt-info.tsv (no ``Style``; a few artworks in no
emotion file), tabs, CRLF line ends, no quoting, UTF-8 without BOM, titles with HTML entities, the three shapes
of ``Year``, two styles or categories joined by a bare comma, ``Post Renaissance Art`` without a hyphen, shares
with three decimals, ratings with two, ``use2-uploadsN.wikiart.org`` hosts and the same mix of extensions,
each value in the official proportions (:func:`quota`). Nothing here is WikiArt data.
"""

from __future__ import annotations

import colorsys
import hashlib
import html
import io
import json
import os
import shutil
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw, ImageFilter

from course_utils.config.study import SEED
from course_utils.data import schema
from course_utils.data.annotations import to_roman
from course_utils.data.files import replace_folder, temporary_folder
from course_utils.data.readme import COURSE_WORDING, course_wording_lines
from course_utils.datasets import sample_annotators
from course_utils.datasets.sample_annotators import write_annotators
from course_utils.labels import emotion_table, presence

DEFAULT_N = 600


#: The version of the files' format; a cached sample of another version is generated again.
FORMAT = 4
#: A hash of this generator's code and of the data it writes from (the emotions' committed coordinates, the
#: course's wording of the categories): a cached sample that an edited generator would paint otherwise is made
#: again too, even when nobody remembered to raise FORMAT.
GENERATOR = hashlib.sha256(
    Path(__file__).read_bytes()
    + Path(sample_annotators.__file__).read_bytes()
    + emotion_table()[["valence", "arousal"]].to_csv().encode()
    + repr(COURSE_WORDING).encode()
).hexdigest()[:16]


STAMP = "sample.json"


_ZIP_DATE = (2018, 5, 1, 0, 0, 0)


#: How many of the official archive's 4,105 artworks have each value (counted on a copy of the real archive); the sample keeps the proportions.
OFFICIAL_STYLES = {
    "Renaissance Art": 415,
    "Post Renaissance Art": 987,
    "Modern Art": 2502,
    "Contemporary Art": 193,
    "Contemporary Art,Modern Art": 7,
    "Modern Art,Post Renaissance Art": 1,
}


OFFICIAL_YEAR_SHAPES = {"year": 3646, "range": 256, "century": 203}


OFFICIAL_IS_PAINTING = {"yes": 3852, "no": 253}


OFFICIAL_FACE_BODY = {"face": 2068, "none": 1794, "body": 243}


OFFICIAL_EXTENSIONS = {"jpg": 4092, "JPG": 8, "jpeg": 3, "png": 2}


OFFICIAL_TITLES = {"with an HTML entity": 295, "plain": 4105 - 295}


#: Artworks of WikiArt-info.tsv that are in no annotation file.
OFFICIAL_INFO_ONLY = schema.OFFICIAL_INFO_ROWS - schema.OFFICIAL_ROWS


#: From this many artworks on, every value above appears at least once (the rare ones would round to none).
EVERY_VALUE_FROM = 20


#: The README of the official archive spells this style with a hyphen; its files do not.
README_SPELLING = {"Post Renaissance Art": "Post-Renaissance Art"}


_CATEGORIES = {
    "Renaissance Art": [
        "Early Renaissance",
        "High Renaissance",
        "Northern Renaissance",
        "Mannerism",
    ],
    "Post Renaissance Art": [
        "Baroque",
        "Rococo",
        "Romanticism",
        "Realism",
        "Neoclassicism",
        "Academicism",
    ],
    "Modern Art": [
        "Impressionism",
        "Post-Impressionism",
        "Expressionism",
        "Cubism",
        "Surrealism",
        "Abstract Art",
        "Fauvism",
    ],
    "Contemporary Art": [
        "Pop Art",
        "Minimalism",
        "Photorealism",
        "Neo-Expressionism",
        "Street Art",
    ],
}


#: The two-category values, per ``Style`` value: 24, so that the full size has the archive's 46 ``Category``
#: values (22 single ones and these). Artworks in two styles always have two categories.
_CATEGORY_PAIRS = {
    "Renaissance Art": [
        ("High Renaissance", "Mannerism"),
        ("Early Renaissance", "High Renaissance"),
        ("Mannerism", "Northern Renaissance"),
    ],
    "Post Renaissance Art": [
        ("Baroque", "Rococo"),
        ("Neoclassicism", "Romanticism"),
        ("Academicism", "Realism"),
        ("Realism", "Romanticism"),
        ("Academicism", "Neoclassicism"),
    ],
    "Modern Art": [
        ("Abstract Art", "Surrealism"),
        ("Expressionism", "Fauvism"),
        ("Cubism", "Expressionism"),
        ("Impressionism", "Post-Impressionism"),
        ("Abstract Art", "Cubism"),
        ("Expressionism", "Surrealism"),
        ("Fauvism", "Post-Impressionism"),
        ("Abstract Art", "Expressionism"),
        ("Cubism", "Surrealism"),
    ],
    "Contemporary Art": [
        ("Minimalism", "Pop Art"),
        ("Neo-Expressionism", "Street Art"),
        ("Photorealism", "Pop Art"),
        ("Neo-Expressionism", "Pop Art"),
    ],
    "Contemporary Art,Modern Art": [
        ("Abstract Art", "Minimalism"),
        ("Expressionism", "Neo-Expressionism"),
    ],
    "Modern Art,Post Renaissance Art": [("Impressionism", "Realism")],
}


#: The share of single-style artworks with two categories.
_TWO_CATEGORIES = 0.05


_YEARS = {
    "Renaissance Art": (1400, 1600),
    "Post Renaissance Art": (1600, 1880),
    "Modern Art": (1860, 1970),
    "Contemporary Art": (1950, 2015),
}


#: Styles shift the hidden mood a little (so the bias chapter has something to find).
_STYLE_SHIFT = {
    "Renaissance Art": (0.1, -0.15),
    "Post Renaissance Art": (0.0, 0.0),
    "Modern Art": (0.0, 0.1),
    "Contemporary Art": (-0.1, 0.05),
}


_SYLLABLES = [
    "an",
    "bel",
    "cor",
    "da",
    "el",
    "fio",
    "gra",
    "hel",
    "ia",
    "jon",
    "ka",
    "lu",
    "mar",
    "no",
    "ori",
    "pe",
    "qua",
    "ros",
    "sa",
    "ti",
    "ur",
    "ve",
    "wen",
    "xa",
    "yo",
    "zel",
]


_WORDS = [
    "Garden",
    "Portrait",
    "River",
    "Storm",
    "Evening",
    "Still Life",
    "Harbour",
    "Dancer",
    "Mother",
    "Battle",
    "Flowers",
    "Silence",
    "Window",
    "Crowd",
    "Winter",
    "Composition",
    "Saint",
    "Bridge",
]


#: Titles holding HTML entities, as the files write them (used in turn, so ``&#39;`` always comes first).
_ENTITY_TITLES = [
    "The Artist&#39;s {}",
    "Gar&#231;on by the {}",
    "{} &amp; Light",
    "Caf&#233; {}",
    "Madonna&#39;s {}",
    "{} at the Ch&#226;teau",
]


@dataclass(frozen=True)
class SampleInfo:
    """Where the generated sample lies."""

    root: Path
    archive_dir: Path
    zip_path: Path
    images_dir: Path
    n: int
    seed: int


def quota(counts: dict[str, int], n: int) -> dict[str, int]:
    """The official counts scaled to ``n`` artworks (largest remainders; exact at n = 4,105), each value at least
    once from :data:`EVERY_VALUE_FROM` artworks on."""
    total = sum(counts.values())
    exact = {key: n * count / total for key, count in counts.items()}
    scaled = {key: int(x) for key, x in exact.items()}
    by_remainder = sorted(exact, key=lambda key: scaled[key] - exact[key])
    for key in by_remainder[: n - sum(scaled.values())]:
        scaled[key] += 1
    if n >= EVERY_VALUE_FROM:
        largest = max(scaled, key=scaled.get)
        for key in scaled:
            if not scaled[key]:
                scaled[key], scaled[largest] = 1, scaled[largest] - 1
    return scaled


def shuffled(
    rng: np.random.Generator, counts: dict[str, int]
) -> np.ndarray:
    """Each value repeated its count of times, in random order (one value per artwork)."""
    return rng.permutation(
        np.repeat(
            np.array(list(counts), dtype=object), list(counts.values())
        )
    )


def info_only_rows(n: int) -> int:
    """How many artworks WikiArt-info.tsv has beyond the annotated ``n``: 14 at full size, at least one."""
    return max(1, round(n * OFFICIAL_INFO_ONLY / schema.OFFICIAL_ROWS))


def _name(rng: np.random.Generator, parts: int) -> str:
    """A made-up proper name from syllables."""
    return "".join(rng.choice(_SYLLABLES, size=parts)).capitalize()


def _slug(text: str) -> str:
    """A URL slug like WikiArt's."""
    words = html.unescape(text).replace("&", "and").split()
    return "-".join(
        "".join(ch for ch in w.lower() if ch.isalnum()) for w in words
    ).strip("-")


def _style_shift(style: str) -> tuple[float, float]:
    """The mood shift of a ``Style`` value: a combined one takes the mean of its two styles."""
    shifts = np.array(
        [_STYLE_SHIFT[s] for s in style.split(schema.VALUE_SEPARATOR)]
    )
    return tuple(shifts.mean(axis=0))


def hidden_points(
    rng: np.random.Generator, styles: np.ndarray
) -> np.ndarray:
    """Hidden (valence, arousal) per artwork: mostly pleasant, like the
    paintings people rate."""
    n = len(styles)
    valence = rng.normal(0.3, 0.4, n)
    arousal = rng.normal(0.3, 0.4, n)
    shift = np.array([_style_shift(s) for s in styles]).reshape(n, 2)
    points = np.column_stack([valence, arousal]) + shift
    return np.clip(points, -1, 1)


def emotion_shares(
    rng: np.random.Generator, points: np.ndarray, noise: float
) -> np.ndarray:
    """Annotator shares (0…1, 3 decimals) for the 20 emotions, from each hidden point plus noise."""
    table = emotion_table().loc[list(schema.EMOTIONS)]
    coords = table[["valence", "arousal"]].to_numpy()
    jitter = rng.normal(0, noise, points.shape)
    dist2 = (((points + jitter)[:, None, :] - coords[None, :, :]) ** 2).sum(
        -1
    )
    prob = 0.62 * np.exp(-dist2 / (2 * 0.33**2))
    neutral = list(schema.EMOTIONS).index("neutral")
    prob[:, neutral] = 0.5 * np.exp(-(points**2).sum(1) / 0.05)
    annotators = rng.integers(10, 16, size=(len(points), 1))
    counts = rng.binomial(annotators, np.clip(prob, 0, 1))
    return np.round(counts / annotators, 3)


def _year_span(style: str) -> tuple[int, int]:
    """The years a ``Style`` value's works come from: for two styles, the years they share."""
    spans = [_YEARS[s] for s in style.split(schema.VALUE_SEPARATOR)]
    return max(a for a, _ in spans), min(b for _, b in spans)


def _year(
    rng: np.random.Generator, style: str, shape: str, turn: int
) -> tuple[str, int | None]:
    """A ``Year`` cell of one of the files' shapes (1889, 1889-1890, XIX cent. or XVIII-XIX cent.) and the year
    the painting's page address carries (None for a century)."""
    year = int(rng.integers(*_year_span(style)))
    if shape == "year":
        return str(year), year
    if shape == "range":
        return f"{year}-{year + int(rng.integers(1, 6))}", year
    century = year // 100 + 1
    if turn % 2:  # every other century cell spans two centuries
        return f"{to_roman(century - 1)}-{to_roman(century)} cent.", None
    return f"{to_roman(century)} cent.", None


def _category(
    rng: np.random.Generator, style: str, turns: dict[str, int]
) -> str:
    """A ``Category`` cell: one category of the style, or (always for two styles) one of the style's pairs in
    turn, joined by a bare comma in alphabetical order, as the files write them."""
    if (
        schema.VALUE_SEPARATOR not in style
        and rng.random() >= _TWO_CATEGORIES
    ):
        return str(rng.choice(_CATEGORIES[style]))
    pairs = _CATEGORY_PAIRS[style]
    turns[style] = turns.get(style, -1) + 1
    return schema.VALUE_SEPARATOR.join(
        sorted(pairs[turns[style] % len(pairs)])
    )


def _title(rng: np.random.Generator, entity: bool, turn: int) -> str:
    """A made-up title; ``entity`` ones hold HTML entities as the files write them (``&#39;`` for ``'``)."""
    word = str(rng.choice(_WORDS))
    return (
        _ENTITY_TITLES[turn % len(_ENTITY_TITLES)].format(word)
        if entity
        else word
    )


def _metadata(
    rng: np.random.Generator,
    n: int,
    base_url: str | None,
    artists: list[str],
) -> pd.DataFrame:
    """Meta columns of ``n`` artworks, each value mix in the official proportions (:func:`quota`)."""
    styles = shuffled(rng, quota(OFFICIAL_STYLES, n))
    shapes = shuffled(rng, quota(OFFICIAL_YEAR_SHAPES, n))
    titled = (
        shuffled(rng, quota(OFFICIAL_TITLES, n)) == "with an HTML entity"
    )
    extensions = shuffled(rng, quota(OFFICIAL_EXTENSIONS, n))
    painting = shuffled(rng, quota(OFFICIAL_IS_PAINTING, n))
    figure = shuffled(rng, quota(OFFICIAL_FACE_BODY, n))
    centuries, entities, pairs, rows = 0, 0, {}, []
    for i, style in enumerate(styles):
        ident = rng.bytes(12).hex()
        artist = artists[rng.integers(len(artists))]
        year, page_year = _year(rng, style, shapes[i], centuries)
        centuries += shapes[i] == "century"
        title = _title(rng, bool(titled[i]), entities)
        entities += bool(titled[i])
        host = f"use2-uploads{rng.integers(0, 9)}.wikiart.org"
        base = (
            base_url.rstrip("/") if base_url else f"https://{host}/images"
        )
        t_slug = _slug(title) + (f"-{page_year}" if page_year else "")
        rows.append(
            {
                "ID": ident,
                "Style": style,
                "Category": _category(rng, style, pairs),
                "Artist": artist,
                "Title": title,
                "Year": year,
                **_urls(base, artist, ident, extensions[i], t_slug),
                "Is painting": painting[i],
                "Face/body": figure[i],
            }
        )
    return pd.DataFrame(rows)


def _urls(
    base: str, artist: str, ident: str, ext: str, t_slug: str
) -> dict[str, str]:
    """The three URL cells of an artwork, as the files shape them."""
    a_slug = _slug(artist)
    return {
        "Image URL": f"{base}/{a_slug}/{ident}.{ext}",
        "Painting Info URL": f"https://www.wikiart.org/en/{a_slug}/{t_slug}",
        "Artist Info URL": f"https://www.wikiart.org/en/{a_slug}",
    }


#: The most works by one artist in the official archive (of 4,105).
OFFICIAL_MAX_WORKS = 31


#: How far the ordering of works into artists strays from the hidden
#: valence (its standard deviation is about 0.4): artists lean, not sort.
_ARTIST_NOISE = 0.35


#: The most works by one artist in a small sample (the official maximum
#: scaled down would leave artists of one or two works only).
_FEWEST_CAP = 10


def _artist_sizes(
    rng: np.random.Generator, n: int, artists: int
) -> np.ndarray:
    """Works per artist: at least one each, most few, a few many (a
    lognormal skew), none above the official maximum scaled to ``n``."""
    cap = max(
        _FEWEST_CAP,
        int(np.ceil(OFFICIAL_MAX_WORKS * n / schema.OFFICIAL_ROWS)),
    )
    weights = rng.lognormal(0.0, 0.6, artists)
    sizes = 1 + rng.multinomial(n - artists, weights / weights.sum())
    while (sizes > cap).any():
        excess = int((sizes - cap).clip(0).sum())
        sizes = sizes.clip(max=cap)
        room = np.flatnonzero(sizes < cap)
        np.add.at(sizes, rng.choice(room, size=excess), 1)
    return sizes


def assign_artists(
    table: pd.DataFrame, points: np.ndarray, names: list[str], seed: int
) -> pd.DataFrame:
    """Real artists' works share a style and a mood, so each made-up artist
    gets a run of works next to each other by style and noisy hidden point."""
    n = len(table)
    rng = np.random.default_rng([seed, n, 3])
    names = names[: min(n, len(names))]
    key = (
        points[:, 0] + 0.5 * points[:, 1] + rng.normal(0, _ARTIST_NOISE, n)
    )
    style = np.unique(table["Style"].to_numpy(), return_inverse=True)[1]
    order = np.lexsort((key, style))
    artist = np.empty(n, dtype=object)
    artist[order] = np.repeat(
        np.array(names, dtype=object), _artist_sizes(rng, n, len(names))
    )
    urls = [
        _urls(
            image_url.rsplit("/", 2)[0],
            name,
            *image_url.rsplit("/", 1)[1].rsplit(".", 1),
            info_url.rsplit("/", 1)[1],
        )
        for name, image_url, info_url in zip(
            artist, table["Image URL"], table["Painting Info URL"]
        )
    ]
    out = table.copy()
    out["Artist"] = artist
    for column in schema.URL_COLUMNS:
        out[column] = [u[column] for u in urls]
    return out


def _artists(rng: np.random.Generator, n: int) -> list[str]:
    """Made-up artist names, about six works each."""
    return [
        f"{_name(rng, 2)} {_name(rng, 3)}" for _ in range(max(8, n // 6))
    ]


@dataclass(frozen=True)
class Hand:
    """An artist's signature: a palette shift, a stroke width and a faint
    striped texture (its direction, and its period as a share of the
    picture's width, so that resizing keeps it)."""

    hue: float = 0.0
    width: int = 0
    angle: float = 0.0
    period: float = 0.08
    texture: float = 0.0


#: How strongly a hand's texture shows (in 0…255 levels, either way).
_TEXTURE = 8.0


def hand(artist: str) -> Hand:
    """The signature of an artist, fixed by the name alone (so the same
    artist paints alike in any sample and any row order)."""
    rng = np.random.default_rng(zlib.crc32(artist.encode("utf-8")))
    return Hand(
        hue=float(rng.uniform(-0.05, 0.05)),
        width=int(rng.integers(0, 4)),
        angle=float(rng.uniform(0, np.pi)),
        period=float(rng.uniform(0.05, 0.12)),
        texture=_TEXTURE,
    )


#: The centre of :func:`hidden_points`' draws (before the style shift): an
#: unrelated mood is drawn around it, with the same spread.
_MOOD_CENTRE, _MOOD_SPREAD = np.array([0.3, 0.3]), 0.4


def painted_points(
    points: np.ndarray, signal: float, seed: int
) -> np.ndarray:
    """The moods the pictures are painted from, at signal strength ``signal``: below 1 each hidden point mixed
    with an unrelated one so that they correlate as much as ``signal`` says (0: no relation), at 1 the hidden
    points themselves, above 1 their distance from the centre multiplied (the module docstring gives the formula)."""
    if signal < 0:
        raise ValueError(f"signal must be at least 0, got {signal}")
    rng = np.random.default_rng([seed, len(points), 4])
    unrelated = rng.normal(0, _MOOD_SPREAD, points.shape)
    mixed = (
        points
        - (1 - signal) * (points - _MOOD_CENTRE)
        + np.sqrt(max(0.0, 1 - signal**2)) * unrelated
    )
    return np.clip(mixed, -1, 1)


def paint(
    point: np.ndarray, rng: np.random.Generator, touch: Hand = Hand()
) -> Image.Image:
    """Paint an RGB picture whose palette, contrast and strokes follow a valence–arousal point, in an artist's
    hand (``touch``; the default is none)."""
    valence, arousal = float(point[0]), float(point[1])
    pos, energy = (valence + 1) / 2, (arousal + 1) / 2
    width, height = (int(x) for x in rng.integers(150, 330, size=2))
    base_hue = (
        0.62 - 0.58 * pos + rng.normal(0, 0.04) + touch.hue
    ) % 1.0  # cool blue … warm orange
    sat = float(np.clip(0.2 + 0.7 * energy + rng.normal(0, 0.05), 0, 1))
    light = float(np.clip(0.3 + 0.45 * pos + rng.normal(0, 0.05), 0.1, 0.9))

    def colour(dh: float, dl: float) -> tuple[int, int, int]:
        r, g, b = colorsys.hls_to_rgb(
            (base_hue + dh) % 1.0, float(np.clip(light + dl, 0, 1)), sat
        )
        return int(r * 255), int(g * 255), int(b * 255)

    top, bottom = np.array(colour(0.0, 0.15)), np.array(colour(0.05, -0.15))
    ramp = np.linspace(0, 1, height)[:, None, None]
    canvas = (
        (top * (1 - ramp) + bottom * ramp)
        .astype(np.uint8)
        .repeat(width, axis=1)
    )
    image = Image.fromarray(canvas, "RGB")
    draw = ImageDraw.Draw(image)
    contrast = 0.1 + 0.5 * energy
    for _ in range(int(8 + 50 * energy)):
        x, y = rng.integers(0, width), rng.integers(0, height)
        fill = colour(rng.normal(0, 0.06), rng.uniform(-contrast, contrast))
        if rng.random() < energy:  # aroused: sharp, jagged strokes
            dx, dy = (
                rng.integers(-width // 3, width // 3 + 1),
                rng.integers(-height // 3, height // 3 + 1),
            )
            draw.line(
                [(x, y), (x + dx, y + dy)],
                fill=fill,
                width=int(rng.integers(1, 5)) + touch.width,
            )
        else:  # calm: broad soft shapes
            r = int(rng.integers(10, max(11, min(width, height) // 3)))
            draw.ellipse([x - r, y - r, x + r, y + r], fill=fill)
    blur = 4.0 * (1 - energy)
    if blur > 0.3:
        image = image.filter(ImageFilter.GaussianBlur(blur))
    return _textured(image, touch) if touch.texture else image


def _textured(image: Image.Image, touch: Hand) -> Image.Image:
    """The picture with the hand's faint stripes laid over it."""
    pixels = np.asarray(image, dtype=np.float32)
    y, x = np.mgrid[: pixels.shape[0], : pixels.shape[1]]
    along = x * np.cos(touch.angle) + y * np.sin(touch.angle)
    period = touch.period * pixels.shape[1]
    stripes = touch.texture * np.sin(2 * np.pi * along / period)
    return Image.fromarray(
        np.clip(pixels + stripes[..., None], 0, 255).astype(np.uint8), "RGB"
    )


def _encode(
    image: Image.Image, ext: str, rng: np.random.Generator, turn: int
) -> bytes:
    """Encode like real downloads: JPEG (a few in grayscale) or PNG, the ``turn``-th PNG in palette, grayscale
    or RGB mode in turn (so even a small sample has a palette PNG)."""
    buf = io.BytesIO()
    if ext.lower() == "png":
        mode = ("P", "L", "RGB")[turn % 3]
        (
            image.convert("L")
            if mode == "L"
            else image.quantize(64)
            if mode == "P"
            else image
        ).save(buf, "PNG")
    else:
        (image.convert("L") if rng.random() < 0.03 else image).save(
            buf, "JPEG", quality=88
        )
    return buf.getvalue()


def build_tables(
    n: int, seed: int, base_url: str | None = None
) -> tuple[pd.DataFrame, np.ndarray]:
    """The All table (meta + 60 share columns) and the hidden points,
    deterministic for (n, seed)."""
    rng = np.random.default_rng([seed, n, 0])
    artists = _artists(rng, n)
    meta = _metadata(rng, n, base_url, artists)
    points = hidden_points(rng, meta["Style"].to_numpy())
    meta = assign_artists(meta, points, artists, seed)
    scopes = {"art": 0.12, "image": 0.18, "title": 0.45}
    shares = {
        s: emotion_shares(rng, points, noise) for s, noise in scopes.items()
    }
    rating = np.round(
        np.clip(0.9 * points[:, 0] + rng.normal(0.4, 0.8, n), -3, 3), 2
    )
    meta["Ave. art rating"] = rating + 0.0  # no -0.0
    frames = [meta] + [
        pd.DataFrame(shares[s], columns=schema.emotion_columns(s))
        for s in scopes
    ]
    table = pd.concat(frames, axis=1)[list(schema.ANNOTATION_COLUMNS)]
    return table, points


def info_table(
    all_table: pd.DataFrame, seed: int, base_url: str | None = None
) -> pd.DataFrame:
    """WikiArt-info.tsv: the 8 info columns (no ``Style``) of every annotated artwork, in the same order, with
    :func:`info_only_rows` artworks that are in no annotation file inserted among them."""
    n = len(all_table)
    rng = np.random.default_rng([seed, n, 2])
    extra = _metadata(
        rng, info_only_rows(n), base_url, _artists(rng, info_only_rows(n))
    )
    rows = pd.concat([all_table, extra], ignore_index=True)[
        list(schema.INFO_COLUMNS)
    ]
    slots = np.sort(rng.choice(len(rows), size=len(extra), replace=False))
    order = np.empty(len(rows), dtype=int)
    order[slots] = np.arange(n, len(rows))
    order[np.setdiff1d(np.arange(len(rows)), slots)] = np.arange(n)
    return rows.iloc[order].reset_index(drop=True)


def ag_table(all_table: pd.DataFrame, level: int) -> pd.DataFrame:
    """An AgN table from an All table: 1 where at least N×10 % chose the emotion (neutral only when alone)."""
    ag = all_table.copy()
    for scope in schema.SCOPES:
        cols = schema.emotion_columns(scope)
        values = all_table[cols].set_axis(list(schema.EMOTIONS), axis=1)
        ag[cols] = presence(values, level / 10).astype(int).to_numpy()
    return ag


def as_written(table: pd.DataFrame, binary: bool = False) -> pd.DataFrame:
    """The cells as the files write them: shares with three decimals (``0.036``), AgN cells ``0``/``1``, ratings
    with two decimals (``2.33``)."""
    text = table.astype(str)
    shares_format = "{:d}" if binary else "{:.3f}"
    for column in (c for c in table.columns if ": " in c):
        text[column] = [
            shares_format.format(int(v) if binary else float(v))
            for v in table[column]
        ]
    if "Ave. art rating" in table.columns:
        text["Ave. art rating"] = [
            f"{float(v):.2f}" for v in table["Ave. art rating"]
        ]
    return text


def write_tsv(table: pd.DataFrame, path: Path) -> None:
    """Write cells as the archive does: tab-separated, no quoting, CRLF line ends, UTF-8 without BOM."""
    lines = ["\t".join(table.columns)] + [
        "\t".join(row) for row in table.itertuples(index=False)
    ]
    for number, line in enumerate(lines, 1):
        bad = next((ch for ch in '"\r\n' if ch in line), None)
        if bad is not None or line.count("\t") != len(table.columns) - 1:
            raise ValueError(
                f"{path.name} line {number}: a cell holds {bad or 'a tab'!r}, which the files never do"
            )
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))


def _section(title: str) -> str:
    """A section title underlined with dashes, as the official README has."""
    return f"{title}\n{'-' * 49}"


def _readme(n: int, seed: int) -> str:
    """The sample's README.txt, built like the official one: the same
    section titles, underlined with dashes, and the categories listed the
    same way; like it, at odds with the files in two places (it lists a
    Style column in WikiArt-info.tsv and spells the style with a hyphen)."""
    styles = ", ".join(README_SPELLING.get(s, s) for s in schema.STYLES)
    info_columns = ", ".join(("ID", "Style", *schema.INFO_COLUMNS[1:]))
    return f"""OFFLINE SAMPLE generated by course_utils (Emotions in Art course); NOT WikiArt data.
{n} made-up artworks, seed {seed}. Same file names, columns and format as the official WikiArt Emotions
archive (Mohammad & Kiritchenko, LREC 2018), whose terms forbid redistributing the real data.
Like the official README, this one disagrees with the files in two places: the files win.

WikiArt Emotions Dataset (offline sample)
{"-" * 49}


{_section("Terms of Use:")}

Cite: Saif M. Mohammad and Svetlana Kiritchenko. WikiArt Emotions: An Annotated Dataset of Emotions
Evoked by Art. LREC 2018. Do not redistribute the official data.


{_section("WikiArt Emotions Dataset")}

Artworks annotated with the emotions they evoke. Each artwork has one of four styles
({styles}) and one or two of 22 categories.


{_section("Art pieces annotated:")}

The official dataset took works of the four styles from WikiArt, a few categories per style, and kept
paintings and some other works. The sample's artworks, titles and artists are made up.


{_section("Emotions:")}

Each artwork was annotated with one or more of the twenty emotions (our wording):

{course_wording_lines()}


{_section("Annotations:")}

Annotation scenarios:
   Art (image+title)   annotators saw the picture with its title
   ImageOnly           the picture alone
   TitleOnly           the title alone


{_section("Annotation Aggregation:")}

At least ten annotators per artwork and scenario. All: the share who chose the emotion (three decimals).
AgN: 1 where at least N x 10% chose it; neutral is 1 only where no other emotion reaches the threshold.


{_section("File format:")}

  WikiArt-info.tsv             one row per artwork: where it comes from
  WikiArt-Emotions-All.tsv     the share of annotators who chose each emotion
  WikiArt-Emotions-Ag3.tsv     1 where at least 30% of the annotators chose the emotion, else 0
  WikiArt-Emotions-Ag4.tsv     the same at 40%
  WikiArt-Emotions-Ag5.tsv     the same at 50%
  WikiArt-annotations.csv      each annotator's answers (made up; counted, they give the All file)

Tab-separated, one artwork per line.
WikiArt-info.tsv columns: {info_columns}.
Emotion files: {", ".join(schema.META_COLUMNS)},
then 20 emotion columns for each annotation scenario.
"""


def write_sample(
    out: str | os.PathLike,
    n: int = DEFAULT_N,
    seed: int = SEED,
    base_url: str | None = None,
    overwrite: bool = True,
    images: bool = True,
    signal: float = 1.0,
) -> SampleInfo:
    """Write the sample (archive folder, its zip and ``images/<ID>.<ext>``) atomically into ``out``, its pictures
    painted at signal strength ``signal`` (:func:`painted_points`; 1, the default, paints the hidden moods).

    ``images=False`` writes the archive's files only (seconds even at the full 4,105 artworks; to check tables).

    With ``overwrite=False`` an existing complete sample of the current :data:`FORMAT` and this strength is kept
    (the folder only appears once complete), so chapters running in parallel can all ask for the same sample
    safely; one of an older format or another strength is replaced.
    """
    if n < 1:
        raise ValueError(f"--n must be at least 1, got {n}")
    out = Path(out)
    if not overwrite and is_current(out, signal):
        return sample_info(out, n, seed)
    tmp = temporary_folder(out)
    try:
        _write_files(tmp, n, seed, base_url, images, signal)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    replace_folder(
        tmp, out, same=lambda: not overwrite and is_current(out, signal)
    )
    return sample_info(out, n, seed)


def _write_files(
    root: Path,
    n: int,
    seed: int,
    base_url: str | None,
    images: bool = True,
    signal: float = 1.0,
) -> None:
    """The archive folder, its zip, the images (unless not wanted), the hidden points and the format stamp."""
    table, points = build_tables(n, seed, base_url)
    folder = root / schema.ARCHIVE_FOLDER
    folder.mkdir()
    write_tsv(as_written(table), folder / schema.ALL_FILE)
    for level, name in schema.AG_FILES.items():
        write_tsv(
            as_written(ag_table(table, level), binary=True), folder / name
        )
    write_tsv(
        as_written(info_table(table, seed, base_url)),
        folder / schema.INFO_FILE,
    )
    write_annotators(folder / schema.ANNOTATIONS_FILE, table, seed)
    (folder / schema.README_FILE).write_bytes(
        _readme(n, seed).replace("\n", "\r\n").encode("utf-8")
    )
    with zipfile.ZipFile(
        root / schema.ARCHIVE_NAME, "w", zipfile.ZIP_DEFLATED
    ) as zf:
        for path in sorted(folder.iterdir()):
            info = zipfile.ZipInfo(
                f"{schema.ARCHIVE_FOLDER}/{path.name}", date_time=_ZIP_DATE
            )
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
    if images:
        painted = painted_points(points, signal, seed)
        _paint_all(root / "images", table, painted, seed)
    np.save(root / "hidden_points.npy", points)
    (root / STAMP).write_text(
        json.dumps(
            {
                "format": FORMAT,
                "generator": GENERATOR,
                "n": n,
                "seed": seed,
                "signal": signal,
            }
        )
        + "\n"
    )


def _paint_all(
    images: Path, table: pd.DataFrame, points: np.ndarray, seed: int
) -> None:
    """``images/<ID>.<ext>`` for every artwork, painted from its hidden point in its artist's :func:`hand`
    (its own seed: order-proof)."""
    images.mkdir()
    pngs = 0
    rows = zip(table["ID"], table["Image URL"], table["Artist"])
    for i, (ident, url, artist) in enumerate(rows):
        rng = np.random.default_rng([seed, len(table), 1, i])
        ext = url.rsplit(".", 1)[-1]
        (images / f"{ident}.{ext}").write_bytes(
            _encode(paint(points[i], rng, hand(artist)), ext, rng, pngs)
        )
        pngs += ext.lower() == "png"


def is_current(root: Path, signal: float = 1.0) -> bool:
    """Whether ``root`` holds a complete sample of the current :data:`FORMAT` and :data:`GENERATOR`, painted at
    signal strength ``signal`` (an older one, or one of another strength, is made again)."""
    try:
        stamp = json.loads((Path(root) / STAMP).read_text())
    except (OSError, ValueError):
        return False
    return (
        stamp.get("format") == FORMAT
        and stamp.get("generator") == GENERATOR
        and stamp.get("signal") == signal
        and (Path(root) / "images").is_dir()
    )


def sample_info(root: Path, n: int, seed: int) -> SampleInfo:
    """The paths of a sample written by :func:`write_sample`."""
    return SampleInfo(
        root,
        root / schema.ARCHIVE_FOLDER,
        root / schema.ARCHIVE_NAME,
        root / "images",
        n,
        seed,
    )
