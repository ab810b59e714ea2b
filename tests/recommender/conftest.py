from tests.web_fixtures import *  # noqa: F403  (the page tests' catalogue and people)
