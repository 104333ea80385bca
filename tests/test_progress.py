import io

from coach.cli.progress import Progress, format_progress


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_silent_when_not_a_terminal():
    out = io.StringIO()
    p = Progress(100, stream=out)
    for i in range(100):
        p.update(i + 1)
    p.close()
    assert out.getvalue() == ""


def test_draws_one_line_with_carriage_returns_on_a_terminal():
    out = FakeTTY()
    p = Progress(1000, stream=out)
    for i in range(1000):
        p.update(i + 1)  # a fast loop: throttled to a handful of redraws
    p.close()
    text = out.getvalue()
    assert text.endswith("\n") and text.count("\n") == 1
    assert 1 <= text.count("\r") <= 5
    assert "frames 1000/1000 (100%)" in text.rsplit("\r", 1)[1]


def test_format_gives_rate_and_eta():
    assert format_progress(50, 100, "frames", 5.0) == "frames 50/100 (50%), 10.0 fps, ETA 0:05"
    assert format_progress(30, None, "frames", 3.0).startswith("frames 30, 10.0 fps")
