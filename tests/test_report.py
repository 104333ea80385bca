import math

import numpy as np

from coach.core.events import Fault, RepCounted, RepJudged
from coach.core.landmarks import LEFT_HIP, LEFT_KNEE, LEFT_SHOULDER
from coach.io.log import SessionLog, load_session
from coach.io.report import spoken_summary, text_report, write_report
from coach.core.session import Session

ROUND = Fault("spine_rounding", "lowering", "moderate", {"lumbar_flex_deg": 18.0})


def _logged(tmp_path):
    s = Session(exercise="deadlift")
    with SessionLog(tmp_path, "r1") as log:
        for i in range(300):  # 30 s of angles: a rep every 5 s, bottom at 2.5 s into it
            t = i * 0.1
            log.hip(t, 10 + 80 * math.sin(math.pi * (t % 5) / 5))
        for n in range(1, 6):
            events = [RepCounted(5.0 * n, n, 5.0 * (n - 1), 5.0 * n)]
            if n in (2, 4):
                events.append(RepJudged(5.0 * n + 0.2, n, True, (ROUND,)))
            for e in events:
                for out in s.handle(e):
                    log.event(out)
        for out in s.finish(26.0):
            log.event(out)
    return load_session(log.path)


def test_report_tells_each_rep_with_tempo_and_fault_evidence(tmp_path):
    data = _logged(tmp_path)
    text = text_report(data)
    assert "Set 1: deadlift, 5 reps: 2 with a rounded back" in text
    assert "down 2.5 s, up 2.5 s" in text
    assert "rounded back (moderate; lumbar_flex_deg 18)" in text
    words = spoken_summary(data)
    assert "1 set and 5 reps" in words and "2 with a rounded back" in words
    assert "your hips bent to 90 degrees" in words


def test_report_writes_a_plot_with_faults_marked(tmp_path):
    data = _logged(tmp_path)
    txt, png = write_report(data, tmp_path / "out")
    from matplotlib.image import imread
    img = imread(png)
    assert img.shape[0] > 300 and img.shape[1] > 1000
    from matplotlib.colors import to_rgb
    from coach.io.report import _fault_colour
    want = np.array(to_rgb(_fault_colour("spine_rounding")))
    marker = (np.abs(img[..., :3] - want) < 0.08).all(axis=-1)
    assert marker.sum() > 50  # the fault markers are drawn in the fault's colour
    assert "In words:" in open(txt).read()


def test_a_fault_the_camera_could_not_judge_is_said_not_claimed_clean(tmp_path):
    from coach.io.report_html import session_html
    s = Session(exercise="deadlift")
    feet = {"balance": "the weight on the feet cannot be seen from here"}
    with SessionLog(tmp_path, "nj") as log:
        events = [RepCounted(5.0, 1, 2.0, 5.0), RepJudged(5.5, 1, True, (), feet),    # judged, but not all
                  RepCounted(10.0, 2, 7.0, 10.0), RepJudged(10.5, 2, False, (), feet)]  # not judged at all
        for e in events:
            log.event(e)  # the analysis' own lines, as the runtime logs them
            for out in s.handle(e):
                log.event(out)
        for out in s.finish(12.0):
            log.event(out)
    data = load_session(log.path)
    assert [r.not_judged for r in data.sets[0].reps] == [feet, feet]
    text = text_report(data)
    assert "no fault seen; weight on the toes not judged: the weight on the feet cannot be seen from here" in text
    assert "rep  2" in text and "clean" not in text.split("rep  2")[1].splitlines()[0]
    page = session_html(data)
    assert page.count("weight on the toes not judged") == 2
