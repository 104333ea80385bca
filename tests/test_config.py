import os

import pytest

from coach.io.config import ConfigError, load_config, parse_config

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_the_example_station_config_loads():
    cfg = load_config(os.path.join(REPO, "deploy", "config.example.toml"))
    assert cfg.camera == "0" and cfg.microphone is None and cfg.wake_word == "coach"
    assert cfg.exercise == "deadlift" and cfg.log_dir == "/var/lib/coach/sessions"


def test_the_example_plan_loads():
    from coach.core.session import load_plan
    plan = load_plan(os.path.join(REPO, "deploy", "plan.example.toml"))
    assert [p.exercise for p in plan.exercises] == ["kettlebell_deadlift", "romanian_deadlift", "kettlebell_swing"]


@pytest.mark.parametrize("data, message", [
    ({"voice": {"wakeword": "coach"}}, "c.toml: unknown key voice.wakeword"),
    ({"audio": {}}, "c.toml: unknown section [audio]"),
    ({"cues": {"count_every": "five"}}, "c.toml: cues.count_every must be whole number"),
    ({"speech": {"engine": "festival"}}, "c.toml: speech.engine must be one of espeak, piper"),
    ({"speech": {"rate_wpm": 1000}}, "c.toml: speech.rate_wpm must be between 60 and 400"),
    ({"voice": {"wake_word_enabled": "yes"}}, "c.toml: voice.wake_word_enabled must be true/false"),
    ({"voice": {"recognizer": "vosk"}}, "c.toml: voice.recognizer must be one of"),
    ({"voice": {"whisper_threads": 0}}, "c.toml: voice.whisper_threads must be between 1 and 8"),
    ({"voice": {"recogniser": "fast"}}, "c.toml: unknown key voice.recogniser"),
    ({"voice": {"vosk_model": "/m", "vosk_lang": "en-us"}}, "c.toml: voice.vosk_model and voice.vosk_lang both"),
    ({"session": {"exercise": "bench_press"}}, "c.toml: session.exercise 'bench_press' is not one of"),
    ({"display": {"theme": "blue"}}, "c.toml: display.theme must be one of dark, light"),
    ({"display": {"port": 70000}}, "c.toml: display.port must be between 0 and 65535"),
    ({"display": {"enabled": "yes"}}, "c.toml: display.enabled must be true/false"),
    ({"display": {"host": ""}}, "c.toml: display.host must name an address"),
])
def test_config_errors_name_the_file_and_key(data, message):
    with pytest.raises(ConfigError) as e:
        parse_config(data, "c.toml")
    assert message in str(e.value)


def test_a_broken_config_file_is_one_sentence_from_the_cli(tmp_path, capsys):
    from coach.cli.main import main
    bad = tmp_path / "config.toml"
    bad.write_text("[voice\n")
    assert main(["live", "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "config.toml: not valid TOML" in err and "Traceback" not in err


def test_the_service_checks_its_config_with_code_that_exists():
    """deploy/coach.service checks /etc/coach/config.toml before starting: that check must run."""
    import re
    import subprocess
    import sys
    with open(os.path.join(REPO, "deploy", "coach.service")) as fh:
        code = re.search(r'ExecStartPre=\S+ -c "(.+)"', fh.read()).group(1)
    example = os.path.join(REPO, "deploy", "config.example.toml")
    r = subprocess.run([sys.executable, "-c", code.replace("/etc/coach/config.toml", example)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
