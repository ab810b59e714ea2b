"""REST API of the catalogue: movies, genres, the signed-in user and their ratings (/api/v1/)."""
