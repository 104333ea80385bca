"""`coach speak`: the voice, the cue library check, and clear errors."""

import shutil
import wave

from coach.cli.main import main
from coach.core.cues import CUES_ROOT


def test_speak_a_cue_to_a_wav(tmp_path, capsys):
    out = tmp_path / "cue.wav"
    assert main(["speak", "--cue", "fault.balance.long", "--to", str(out)]) == 0
    with wave.open(str(out)) as fh:
        assert fh.getnframes() / fh.getframerate() > 3.0  # both variants, one after the other
    err = capsys.readouterr().err
    assert "heels" in err


def test_without_a_sound_card_the_text_is_printed(capsys):
    assert main(["speak", "--device", "no-such-device-xyz", "Stand tall."]) == 0
    err = capsys.readouterr().err
    assert "printed here instead" in err and "coach says: Stand tall." in err


def test_check_cues_names_file_and_id(tmp_path, capsys):
    d = tmp_path / "en"
    shutil.copytree(CUES_ROOT / "en", d)
    assert main(["speak", "--check-cues", str(d)]) == 0
    (d / "safety.toml").write_text('[safety]\nsevere = ""\n')
    assert main(["speak", "--check-cues", str(d)]) == 2
    assert "safety.toml: safety.severe must be a non-empty string" in capsys.readouterr().err


def test_bad_input_is_one_sentence_exit_2(capsys):
    assert main(["speak", "--cue", "fault.nope.short"]) == 2
    assert main(["speak"]) == 2
    assert main(["speak", "--rate", "9", "hi"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("coach: ") for line in err)
