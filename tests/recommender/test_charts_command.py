"""`manage.py charts OUT_DIR`: every dashboard chart as a PNG file; a clear error for a bad target."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from recommender.charts import FILES

pytestmark = pytest.mark.django_db


def test_writes_every_chart_as_a_png(movies, tmp_path):
    out = StringIO()
    call_command("charts", str(tmp_path / "figures"), stdout=out)
    written = sorted(p.name for p in (tmp_path / "figures").iterdir())
    assert written == sorted(FILES)
    for name in FILES:
        with Image.open(tmp_path / "figures" / name) as image:
            assert image.format == "PNG" and image.width >= 400 and image.height >= 300, name
    assert "9 charts written to" in out.getvalue()


def test_refuses_a_file_as_the_folder(tmp_path):
    target = tmp_path / "taken"
    target.write_text("x")
    with pytest.raises(CommandError, match="exists and is not a folder"):
        call_command("charts", str(target))
