"""The offline sample's made-up artists (issue 17): like real ones, an artist's works share a mood and a hand.

So a random file split lets a model partly recognise the artist, and the artist-grouped split shows how much
that flatters it. The labels themselves must not move: chapters hold numbers worked by hand from them.
"""

import colorsys

import numpy as np
import pandas as pd
import pytest

from course_utils.datasets.sample import OFFICIAL_MAX_WORKS, Hand, build_tables, hand, paint

#: Facts of build_tables(240, 123) taken before the artists were reassigned (they must not change).
CATEGORY_TOP = {"Post-Impressionism": 24, "Cubism": 22, "Surrealism": 22, "Impressionism": 21, "Expressionism": 17}
FIRST_IDS = ["c05dfe69a2a7b12c1ac88abc", "ab333140ea61c8e609a847d7"]
FIRST_POINTS = [[0.01568, 0.660705], [-0.025975, 0.461608]]
FIRST_RATINGS = [0.6, 0.14, -0.47]
HAPPINESS_SUM = 40.752
URLS = ("Image URL", "Painting Info URL", "Artist Info URL")


@pytest.fixture(scope="module")
def quick():
    """The quick profile's sample size: 1,200 artworks and their hidden points."""
    return build_tables(1200, 123)


def explained_share(values: np.ndarray, groups) -> float:
    """Between-group sum of squares over the total: the share of the variance the grouping explains."""
    frame = pd.DataFrame({"v": values, "g": list(groups)})
    means = frame.groupby("g")["v"].transform("mean")
    centre = frame["v"].mean()
    return float(((means - centre) ** 2).sum() / ((frame["v"] - centre) ** 2).sum())


def test_labels_are_those_worked_by_hand():
    table, points = build_tables(240, 123)
    assert table["Category"].value_counts().head(5).to_dict() == CATEGORY_TOP
    assert table["ID"].iloc[:2].tolist() == FIRST_IDS
    assert np.allclose(points[:2], FIRST_POINTS, atol=1e-6)
    assert table["Ave. art rating"].iloc[:3].tolist() == FIRST_RATINGS
    assert table["Art (image+title): happiness"].sum() == pytest.approx(HAPPINESS_SUM)


def test_artists_are_assigned_deterministically(quick):
    table, _ = quick
    again, _ = build_tables(1200, 123)
    assert table["Artist"].tolist() == again["Artist"].tolist()
    other, _ = build_tables(1200, 124)
    assert not set(other["Artist"]) & set(table["Artist"])  # another seed, other names


def test_urls_carry_the_new_artist(quick):
    table, _ = quick
    for artist, image, page, info in zip(*(table[c] for c in ("Artist", *URLS))):
        slug = artist.lower().replace(" ", "-")
        assert image.rsplit("/", 2)[1] == slug and page.rsplit("/", 2)[1] == slug
        assert info == f"https://www.wikiart.org/en/{slug}"


def test_few_artists_have_many_works(quick):
    table, _ = quick
    works = table["Artist"].value_counts()
    assert len(works) == 1200 // 6 and works.min() >= 1
    assert works.max() <= 10  # the official 31 of 4,105, scaled to 1,200 and rounded up
    assert works.median() <= 6 and (works <= 3).sum() > (works >= 10).sum() > 0


def test_no_artist_has_more_works_than_the_most_prolific_real_one():
    table, _ = build_tables(4105, 123)
    assert table["Artist"].value_counts().max() <= OFFICIAL_MAX_WORKS == 31


def test_an_artists_works_share_a_mood(quick):
    table, points = quick
    valence = points[:, 0]
    by_artist = explained_share(valence, table["Artist"])
    rng = np.random.default_rng(0)
    shuffled = [explained_share(valence, rng.permutation(table["Artist"].to_numpy())) for _ in range(20)]
    # random groups of these sizes explain about (artists - 1) / (works - 1) = 0.17; measured 0.58 vs at most 0.19
    assert by_artist > max(shuffled) + 0.2, (by_artist, max(shuffled))
    assert explained_share(points[:, 1], table["Artist"]) > np.mean(shuffled)


def mean_hue(image) -> float:
    """The circular mean hue of a picture (0…1)."""
    rgb = np.asarray(image.resize((40, 40)), dtype=float) / 255
    hues = np.array([colorsys.rgb_to_hsv(*px)[0] for px in rgb.reshape(-1, 3)])
    angle = np.angle(np.exp(2j * np.pi * hues).mean())
    return float(angle / (2 * np.pi) % 1)


def test_a_hand_is_fixed_by_the_name_and_differs_between_artists(quick):
    table, _ = quick
    names = table["Artist"].unique()[:20]
    assert all(hand(name) == hand(name) for name in names)
    assert len({hand(name).hue for name in names}) == len(names)
    assert hand(names[0]) != Hand()


def test_an_artists_works_share_a_hue_whatever_their_mood():
    """The same moods painted by two hands: each pair differs the same way, so the hand is in the pixels."""
    names = sorted(("Anbel Corda", "Fiogra Helia", "Jonka Lumar", "Noori Pequa"), key=lambda a: hand(a).hue)
    low, high = names[0], names[-1]
    assert hand(high).hue - hand(low).hue > 0.03
    points = np.random.default_rng(1).normal(0.3, 0.4, (6, 2)).clip(-1, 1)
    gaps = []
    for i, point in enumerate(points):
        hues = [mean_hue(paint(point, np.random.default_rng([9, i]), hand(a))) for a in (low, high)]
        gaps.append((hues[1] - hues[0] + 0.5) % 1 - 0.5)
    assert all(g > 0 for g in gaps), gaps
    # the hand is modest: the mood still moves the hue more than the hand does
    mood = [mean_hue(paint(np.array([v, 0.3]), np.random.default_rng(3), hand(low))) for v in (-0.8, 0.8)]
    assert abs((mood[0] - mood[1] + 0.5) % 1 - 0.5) > 2 * max(abs(g) for g in gaps)
