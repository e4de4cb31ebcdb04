"""The NRC VAD lexicon (`data/lexicon.py`) and the coordinates it gives (`labels.emotion_coordinates`,
`datasets.session.coordinates`): read strictly, fetched once through the course's polite fetcher from a local
server serving a made-up stand-in (never the real lexicon), and named wherever the course falls back to its own
placements."""

from __future__ import annotations

import zipfile

import numpy as np
import pandas as pd
import pytest

from course_utils.config.device import Device
from course_utils.config.settings import Settings
from course_utils.data.annotations import read_table, shares
from course_utils.data.fetch import USER_AGENT, Fetcher, HttpPolicy
from course_utils.data.lexicon import (
    CITATION,
    LEXICON_URL,
    LEXICON_ZIP,
    LexiconError,
    fetch_lexicon,
    lexicon_path,
    lexicon_points,
    parse_lexicon,
    read_lexicon,
)
from course_utils.datasets import session as sessions
from course_utils.datasets.localserver import (
    LocalServer,
    Reply,
    sample_server,
    standin_lexicon_text,
    write_standin_lexicon,
)
from course_utils.datasets.prepare import prepare, read_coordinates, read_labels
from course_utils.datasets.source import lexicon_url, prepared_is_current
from course_utils.labels import (
    COURSE_PLACEMENT,
    emotion_coordinates,
    emotion_table,
    shares_frame,
    va_targets,
)

#: Hand-written in the file's format (made-up scores): a header, a word with a space, the word "null".
SMALL = (
    "Word\tValence\tArousal\tDominance\n"
    "happiness\t0.960\t0.732\t0.850\n"
    "ice cream\t0.875\t0.500\t0.400\n"
    "null\t0.400\t0.250\t0.300\n"
)

FAST = HttpPolicy(timeout=2.0, retries=2, backoff=0.01, max_backoff=0.02)


def test_the_file_reads_with_or_without_its_header_and_keeps_odd_words():
    entries = parse_lexicon(SMALL)
    assert entries == {
        "happiness": (0.960, 0.732, 0.850),
        "ice cream": (0.875, 0.500, 0.400),
        "null": (0.400, 0.250, 0.300),  # a word, not a missing value
    }
    headless = SMALL.split("\n", 1)[1].replace("\n", "\r\n")  # some releases have no header; CRLF is tolerated
    assert parse_lexicon(headless) == entries


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("fear\t0.073\t0.840", "line 3: 3 tab-separated fields instead of 4"),
        ("fear 0.073 0.840 0.293", "line 3: 1 tab-separated fields instead of 4"),
        ("fear\t0.073\thigh\t0.293", "line 3: Arousal 'high' is not a number"),
        ("fear\t-0.2\t0.840\t0.293", r"line 3: Valence -0.2 is outside 0 … 1"),
        ("happiness\t0.1\t0.2\t0.3", "line 3: 'happiness' appears again \\(first on line 2\\)"),
        ("\t0.1\t0.2\t0.3", "line 3: no word"),
    ],
)
def test_a_malformed_line_is_an_error_naming_the_file_and_the_line(line, says):
    text = SMALL.replace("ice cream\t0.875\t0.500\t0.400", line)
    with pytest.raises(LexiconError, match=f"lexicon.txt {says}"):
        parse_lexicon(text, "lexicon.txt")


def test_an_empty_or_undecodable_file_is_named(tmp_path):
    with pytest.raises(LexiconError, match="no entries"):
        parse_lexicon("Word\tValence\tArousal\tDominance\n")
    path = tmp_path / "NRC-VAD-Lexicon.txt"
    path.write_bytes(b"caf\xe9\t0.5\t0.5\t0.5\n")
    with pytest.raises(LexiconError, match=r"NRC-VAD-Lexicon.txt: not UTF-8"):
        read_lexicon(path)


def test_scores_go_onto_the_plane_and_a_missing_word_is_named():
    points = lexicon_points(parse_lexicon(SMALL), {"happiness": "happiness", "trust": "null"})
    # 2 × 0.960 − 1 = 0.92, 2 × 0.732 − 1 = 0.464; 2 × 0.400 − 1 = −0.2, 2 × 0.250 − 1 = −0.5
    np.testing.assert_allclose(points.loc["happiness"], [0.92, 0.464])
    np.testing.assert_allclose(points.loc["trust"], [-0.2, -0.5])
    with pytest.raises(LexiconError, match=r"lexicon.txt has no entry for 'agreeable' \(for agreeableness\)"):
        lexicon_points(
            parse_lexicon(SMALL), {"happiness": "happiness", "agreeableness": "agreeable"}, "lexicon.txt"
        )


def test_the_official_address_is_the_v1_zip():
    assert LEXICON_URL == "https://saifmohammad.com/WebDocs/Lexicons/NRC-VAD-Lexicon.zip"


# --- fetching from a local server ------------------------------------------------------------------------------


@pytest.fixture
def server(tmp_path):
    with LocalServer(tmp_path / "site") as running:
        running.root.mkdir(parents=True, exist_ok=True)
        yield running


def test_the_lexicon_is_fetched_once_politely_and_only_its_file_is_kept(server, tmp_path):
    write_standin_lexicon(server.root)
    server.fault(LEXICON_ZIP, Reply(503, b"busy"))  # a busy server first: asked again
    root = tmp_path / "data"
    path = fetch_lexicon(root, server.lexicon_url, Fetcher(FAST))
    assert path == lexicon_path(root) == root / "NRC-VAD-Lexicon" / "NRC-VAD-Lexicon.txt"
    assert path.read_text() == standin_lexicon_text()
    assert sorted(p.name for p in root.iterdir()) == ["NRC-VAD-Lexicon"]  # no zip, no temporary file left
    assert server.hits[LEXICON_ZIP] == 2 and server.user_agents == {USER_AGENT}
    fetch_lexicon(root, server.lexicon_url, Fetcher(FAST))
    assert server.hits[LEXICON_ZIP] == 2  # a second run reuses the file


def test_a_failed_download_leaves_nothing_and_says_why(server, tmp_path):
    root = tmp_path / "data"
    with pytest.raises(
        LexiconError, match=r"NRC-VAD-Lexicon.zip: could not download the NRC VAD lexicon: HTTP 404"
    ):
        fetch_lexicon(root, server.lexicon_url, Fetcher(FAST))
    assert list(root.iterdir()) == []


def test_a_damaged_lexicon_is_refused_naming_its_line(server, tmp_path):
    damaged = standin_lexicon_text().replace("\nfear\t", "\nfear ", 1)
    write_standin_lexicon(server.root, text=damaged)
    root = tmp_path / "data"
    # the stand-in is sorted: header, agreeable, anger, anticipation, arrogance, disagreeable, disgust, fear (line 8)
    with pytest.raises(LexiconError, match=r"NRC-VAD-Lexicon.txt line 8: 3 tab-separated fields.*'fear 0"):
        fetch_lexicon(root, server.lexicon_url, Fetcher(FAST))
    assert not lexicon_path(root).exists()


def test_a_zip_put_in_the_data_folder_by_hand_is_used_without_a_request(server, tmp_path):
    root = tmp_path / "data"
    write_standin_lexicon(root)
    fetch_lexicon(root, server.lexicon_url, Fetcher(FAST))
    assert lexicon_path(root).read_text() == standin_lexicon_text() and not server.hits
    other = tmp_path / "other"
    other.mkdir()
    with zipfile.ZipFile(other / LEXICON_ZIP, "w") as zf:
        zf.writestr("README.txt", "no lexicon here")
    with pytest.raises(LexiconError, match=r"expected one NRC-VAD-Lexicon.txt in the zip, found 0"):
        fetch_lexicon(other, server.lexicon_url, Fetcher(FAST))


# --- the coordinates a data folder gives ----------------------------------------------------------------------


def test_a_folder_with_the_lexicon_gives_its_ratings_each_row_naming_its_source(tmp_path):
    write_standin_lexicon(tmp_path)
    fetch_lexicon(tmp_path, "http://127.0.0.1:9/unused")  # the zip in the folder is used
    coords = emotion_coordinates(tmp_path)
    assert coords.from_lexicon and coords.origin == CITATION
    entries = parse_lexicon(standin_lexicon_text())
    # by hand from the stand-in's own lines: valence = 2 × score − 1
    for emotion, word in (("happiness", "happiness"), ("agreeableness", "agreeable")):
        assert coords.table.loc[emotion, "valence"] == pytest.approx(2 * entries[word][0] - 1)
        assert coords.table.loc[emotion, "arousal"] == pytest.approx(2 * entries[word][1] - 1)
    assert coords.table.loc["agreeableness", "source"] == "NRC VAD v1: 'agreeable'"
    assert list(coords.table["quadrant"]) == list(emotion_table()["quadrant"])  # the quadrant stays the study's
    assert "agreeableness as 'agreeable'" in coords.describe() and CITATION in coords.describe()
    committed = emotion_coordinates(tmp_path / "elsewhere")
    assert not committed.from_lexicon and (committed.table["source"] == COURSE_PLACEMENT).all()
    assert "offline fallback" in committed.describe() and "no NRC-VAD-Lexicon.txt" in committed.describe()
    assert coords.stamp() != committed.stamp()


def test_a_lexicon_lacking_a_word_is_an_error_naming_it(tmp_path):
    path = lexicon_path(tmp_path)
    path.parent.mkdir()
    path.write_text(standin_lexicon_text().replace("\ndisagreeable\t", "\ndisagreeing\t"))
    with pytest.raises(LexiconError, match=r"has no entry for 'disagreeable' \(for disagreeableness\)"):
        emotion_coordinates(tmp_path)


def test_prepare_uses_the_folders_lexicon_and_records_it(tmp_path):
    from course_utils.datasets.sample import write_sample

    write_sample(tmp_path / "data", n=30, seed=5)
    out = tmp_path / "prepared"
    prepare(tmp_path / "data", out, size=16)
    assert read_coordinates(out).origin == "the course's own placements"
    source = sessions.Source("wikiart", tmp_path / "data", "test")
    assert prepared_is_current(out, source)
    write_standin_lexicon(tmp_path / "data")
    fetch_lexicon(tmp_path / "data", "http://127.0.0.1:9/unused")
    assert not prepared_is_current(out, source)  # targets made with other coordinates are out of date
    prepare(tmp_path / "data", out, size=16)
    recorded = read_coordinates(out)
    assert recorded.origin == CITATION
    values = shares(read_table(tmp_path / "data" / "WikiArt-Emotions" / "WikiArt-Emotions-All.tsv"), "art")
    lexicon = emotion_coordinates(tmp_path / "data").table
    table = read_labels(out)
    np.testing.assert_allclose(table[["valence", "arousal"]], va_targets(values, lexicon), atol=1e-9)
    np.testing.assert_allclose(recorded.table[["valence", "arousal"]], lexicon[["valence", "arousal"]])


# --- the session: which coordinates a run uses, said out loud --------------------------------------------------


def wikiart_session(data_dir, server, monkeypatch, lexicon: str):
    """A session on the real-data path, the archive and the lexicon served by ``server``."""
    monkeypatch.setenv("COURSE_ARCHIVE_URL", server.archive_url)
    monkeypatch.setenv("COURSE_LEXICON_URL", lexicon)
    settings = Settings(data="wikiart", profile="smoke", data_dir=data_dir, seed=123)
    return sessions.open_session(settings, Device("CPU", "test", None, 1))


def test_the_real_data_path_fetches_the_lexicon_and_names_it(tmp_path, monkeypatch):
    with sample_server(tmp_path / "site", n=12, seed=4) as server:
        write_standin_lexicon(server.root)
        session = wikiart_session(tmp_path / "data", server, monkeypatch, server.lexicon_url)
        assert lexicon_url() == server.lexicon_url
        coords = sessions.coordinates(session)
        assert coords.from_lexicon, coords.describe()
        assert lexicon_path(session.source.root).is_file()
        sessions.coordinates(session)
        assert server.hits[LEXICON_ZIP] == 1  # fetched once


def test_without_the_lexicon_the_fallback_is_named_with_the_reason(tmp_path, monkeypatch, capsys):
    with sample_server(tmp_path / "site", n=12, seed=4) as server:  # serves no lexicon: 404
        session = wikiart_session(tmp_path / "data", server, monkeypatch, server.lexicon_url)
        coords = sessions.coordinates(session)
        printed = capsys.readouterr().out
    assert not coords.from_lexicon
    assert "NRC VAD Lexicon v1 (Mohammad, ACL 2018) not available" in printed and "HTTP 404" in printed
    assert "course's own placements" in printed
    assert "could not be used" in coords.describe() and "HTTP 404" in coords.describe()


def test_the_sample_never_holds_or_uses_the_lexicon(tmp_path):
    settings = Settings(data="sample", profile="smoke", data_dir=tmp_path, seed=123)
    session = sessions.open_session(settings, Device("CPU", "test", None, 1))
    coords = sessions.coordinates(session)
    assert not coords.from_lexicon and "offline sample" in coords.describe()
    assert not lexicon_path(session.source.root).exists()
    names = [p.name for p in session.source.root.rglob("*")]
    assert not any("NRC" in n or "exicon" in n for n in names)  # the sample ships no lexicon at all
    pd.testing.assert_frame_equal(coords.points(), emotion_table()[["valence", "arousal"]])


def test_a_two_emotion_artwork_under_the_lexicon_worked_by_hand(tmp_path):
    write_standin_lexicon(tmp_path)
    fetch_lexicon(tmp_path, "http://127.0.0.1:9/unused")
    entries = parse_lexicon(standin_lexicon_text())
    table = emotion_coordinates(tmp_path).table
    got = va_targets(shares_frame({"x": {"fear": 0.5, "love": 0.3}}), table).loc["x"]
    # shares add up to 0.8 ≤ 1: the plain weighted sum of the two points (2 × score − 1 each)
    want_v = 0.5 * (2 * entries["fear"][0] - 1) + 0.3 * (2 * entries["love"][0] - 1)
    want_a = 0.5 * (2 * entries["fear"][1] - 1) + 0.3 * (2 * entries["love"][1] - 1)
    np.testing.assert_allclose(got, [want_v, want_a])


def test_the_download_command_fetches_the_lexicon_on_request(tmp_path, monkeypatch, capsys):
    from course_utils.cli import main

    with sample_server(tmp_path / "site", n=12, seed=4) as server:
        monkeypatch.setenv("COURSE_LEXICON_URL", server.lexicon_url)
        args = ["download", "--out", str(tmp_path / "data"), "--archive-url", server.archive_url, "--no-images"]
        assert main([*args, "--lexicon"]) == 1  # nothing served yet: one line, exit 1
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and "could not download the NRC VAD lexicon: HTTP 404" in err
        write_standin_lexicon(server.root)
        assert main([*args, "--lexicon"]) == 0
        assert "NRC VAD lexicon in NRC-VAD-Lexicon/NRC-VAD-Lexicon.txt" in capsys.readouterr().out
        assert main(args) == 0 and server.hits[LEXICON_ZIP] == 2  # not asked for without --lexicon
    assert lexicon_path(tmp_path / "data").read_text() == standin_lexicon_text()
