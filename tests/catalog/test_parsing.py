from hypothesis import given
from hypothesis import strategies as st

from catalog.parsing import parse_movies, parse_ratings, parse_users, year_from_title
from catalog.sources import SourceText


def _errors(parsed) -> list[str]:
    return [str(e) for e in parsed.errors]


def test_it_parses_users_with_free_text_zip_codes():
    parsed = parse_users(
        SourceText("users.dat", "1::F::1::10::48067\n67::F::50::5::98107-2117\n2::M::56::16::N1 9GU\n")
    )
    assert parsed.errors == []
    assert list(parsed.records["zip_code"]) == ["48067", "98107-2117", "N1 9GU"]
    assert list(parsed.records["line"]) == [1, 2, 3]


def test_it_reports_each_bad_user_line_with_its_reason():
    text = (
        "1::F::1::10::48067\n2::X::56::16::1\n3::M::33::1::1\n4::M::25::21::1\n"
        "abc::M::25::1::1\n5::M::25\n1::F::1::10::1\n"
    )
    assert _errors(parse_users(SourceText("users.dat", text))) == [
        "users.dat:2: gender 'X' is not M or F",
        "users.dat:3: age code 33 is not one of [1, 18, 25, 35, 45, 50, 56]",
        "users.dat:4: occupation 21 is not 0-20",
        "users.dat:5: UserID 'abc' is not an integer",
        "users.dat:6: expected 5 fields (UserID::Gender::Age::Occupation::Zip-code), found 3",
        "users.dat:7: duplicate UserID (first on line 1)",
    ]


def test_it_parses_titles_years_and_genres_as_ml_1m_writes_them():
    text = (
        "318::Shawshank Redemption, The (1994)::Drama\n"
        "29::City of Lost Children, The (Cité des enfants perdus, La) (1995)::Adventure|Sci-Fi\n"
        "3604::Gypsy (1962) (V)  ::Musical\n"
        "3606::Perils of Pauline (1914), The (1947)::Adventure|Comedy\n"
        "1::Toy Story (1995)::Animation|Children's|Comedy\n"
        "9::Untitled::(no genres listed)\n"
    )
    parsed = parse_movies(SourceText("movies.dat", text))
    assert parsed.errors == []
    records = parsed.records
    assert records["title"][2] == "Gypsy (1962) (V)"
    assert list(records["year"].fillna(0).astype(int)) == [1994, 1995, 1962, 1947, 1995, 0]
    assert records["genres"][4] == ["Animation", "Children's", "Comedy"]
    assert records["genres"][5] == []


def test_it_reports_bad_movie_lines():
    text = "1::Toy Story (1995)::Animation|Cartoon\n2:: ::Drama\n3::Heat (1995)\n1::Toy Story (1995)::Comedy\n"
    assert _errors(parse_movies(SourceText("movies.dat", text))) == [
        "movies.dat:1: unknown genre 'Cartoon'",
        "movies.dat:2: empty title",
        "movies.dat:3: expected 3 fields (MovieID::Title::Genres), found 2",
    ]


def test_it_reports_bad_rating_lines():
    text = (
        "1::1::5::978300760\n"
        "1::2::0::978300760\n"
        "1::3::4.5::978300760\n"
        "1::1::3::978300761\n"
        "9::1::3::1\n"
        "1::99::3::1\n"
        "1::2::3::yesterday\n"
        "\n"
        "2::2::3::1\n"
    )
    parsed = parse_ratings(SourceText("ratings.dat", text), known_users=[1, 2], known_movies=[1, 2, 3])
    assert _errors(parsed) == [
        "ratings.dat:2: rating 0 is not 1-5 stars",
        "ratings.dat:3: rating '4.5' is not an integer",
        "ratings.dat:4: duplicate rating of this user for this movie (first on line 1)",
        "ratings.dat:5: unknown UserID 9",
        "ratings.dat:6: unknown MovieID 99",
        "ratings.dat:7: timestamp 'yesterday' is not an integer",
    ]
    assert list(parsed.records["line"]) == [1, 9]


def test_a_rating_that_repeats_a_bad_line_is_not_called_a_duplicate():
    text = "1::1::9::1\n1::1::5::2\n"
    parsed = parse_ratings(SourceText("ratings.dat", text), known_users=[1], known_movies=[1])
    assert _errors(parsed) == ["ratings.dat:1: rating 9 is not 1-5 stars"]
    assert list(parsed.records["stars"]) == [5]


def test_it_accepts_windows_line_ends():
    parsed = parse_ratings(SourceText("r", "1::1::5::1\r\n1::2::4::2\r\n"), known_users=[1], known_movies=[1, 2])
    assert parsed.errors == [] and list(parsed.records["timestamp"]) == [1, 2]


@given(
    name=st.text(st.characters(blacklist_characters="()\n", blacklist_categories=["Cs"]), max_size=30),
    year=st.integers(1890, 2030),
    suffix=st.sampled_from(["", " (V)", " (TV)"]),
)
def test_the_year_is_the_last_parenthesised_year(name, year, suffix):
    assert year_from_title(f"{name} ({year}){suffix}") == year
    assert year_from_title(f"{name} (1900) and more ({year}){suffix}") == year


@given(st.text(st.characters(blacklist_characters="()"), max_size=40))
def test_a_title_without_a_year_has_none(title):
    assert year_from_title(title) is None
