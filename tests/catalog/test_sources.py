import zipfile
from pathlib import Path

import pytest

from catalog.sources import SourceError, decode_latin1, read_movielens_source


def _zip(folder: Path, target: Path, prefix: str = "ml-1m/", skip: str = "") -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for name in ("movies.dat", "users.dat", "ratings.dat"):
            if name != skip:
                archive.write(folder / name, prefix + name)
    return target


def test_it_reads_a_folder(tiny_dataset):
    texts = read_movielens_source(tiny_dataset)
    assert set(texts) == {"movies.dat", "users.dat", "ratings.dat"}
    assert "Cité des enfants perdus" in texts["movies.dat"].text


def test_it_reads_the_ml_1m_folder_inside_a_parent(tiny_dataset):
    texts = read_movielens_source(tiny_dataset.parent)
    assert texts["users.dat"].name.endswith("ml-1m/users.dat")


@pytest.mark.parametrize("prefix", ["ml-1m/", ""])
def test_it_reads_a_zip_with_or_without_the_folder(tiny_dataset, tmp_path, prefix):
    archive = _zip(tiny_dataset, tmp_path / "ml-1m.zip", prefix)
    texts = read_movielens_source(archive)
    assert texts["ratings.dat"].name == f"{archive}:{prefix}ratings.dat"
    assert texts["ratings.dat"].text == (tiny_dataset / "ratings.dat").read_text("latin-1")


def test_it_names_the_missing_file(tiny_dataset):
    (tiny_dataset / "users.dat").unlink()
    with pytest.raises(SourceError, match="missing users.dat"):
        read_movielens_source(tiny_dataset)


def test_it_names_the_missing_zip_member(tiny_dataset, tmp_path):
    archive = _zip(tiny_dataset, tmp_path / "ml-1m.zip", skip="ratings.dat")
    with pytest.raises(SourceError, match="no ratings.dat"):
        read_movielens_source(archive)


def test_it_refuses_a_path_that_does_not_exist(tmp_path):
    with pytest.raises(SourceError, match="no such file"):
        read_movielens_source(tmp_path / "nope.zip")


def test_it_refuses_a_file_that_is_not_a_zip(tmp_path):
    bogus = tmp_path / "ml-1m.zip"
    bogus.write_bytes(b"PK but not really")
    with pytest.raises(SourceError, match="neither a folder nor a zip"):
        read_movielens_source(bogus)


def test_it_refuses_binary_data_and_says_where():
    with pytest.raises(SourceError, match=r"ratings.dat:2: byte 0x00 is not text"):
        decode_latin1(b"1::1::5::1\n1::\x002::5::1\n", "ratings.dat")


def test_it_refuses_utf16_text():
    with pytest.raises(SourceError, match="not text"):
        decode_latin1("1::Toy Story (1995)::Comedy\n".encode("utf-16"), "movies.dat")


def test_it_refuses_utf8_that_would_become_mojibake():
    with pytest.raises(SourceError, match="is UTF-8, not latin-1"):
        decode_latin1("1::Amélie (2001)::Comedy\n".encode(), "movies.dat")


def test_it_decodes_latin1_accents():
    assert decode_latin1("1::Amélie (2001)::Comedy\n".encode("latin-1"), "movies.dat") == "1::Amélie (2001)::Comedy\n"
