"""The cue library files: complete, valid, and a broken file falls back to built-in English."""

import logging
import shutil
from pathlib import Path

import pytest

from coach.core.events import FAULT_IDS
from coach.core.cues import (BUILTIN_EN, CUES_ROOT, FAULT_MESSAGES, CueError, load_cues,
                        load_cues_or_builtin, placeholders)


@pytest.fixture()
def cue_dir(tmp_path: Path) -> Path:
    d = tmp_path / "en"
    shutil.copytree(CUES_ROOT / "en", d)
    return d


def test_english_library_has_every_fault_message():
    lib = load_cues(CUES_ROOT / "en")
    assert not lib.fallback
    for fault in FAULT_IDS:
        for msg in FAULT_MESSAGES:
            assert lib.variants(f"fault.{fault}.{msg}"), (fault, msg)
    # the article's own words are in there, not only the built-in plain text
    all_text = " ".join(t for v in lib.messages.values() for t in v)
    for phrase in ("Push the hips back, not the knees forward", "about to get punched",
                   "ribs stacked over your hips", "closing a car door with your bum",
                   "stretch in your hamstrings, not your lower back", "Stand tall, don't lean back",
                   "Drive with the hips, not the arms", "Squeeze your glutes to finish tall",
                   "physiotherapist", "form before load"):
        assert phrase in all_text, phrase


def test_every_message_renders_with_its_placeholders():
    lib = load_cues(CUES_ROOT / "en")
    for cue_id in BUILTIN_EN:
        values = {name: 3 for name in placeholders(BUILTIN_EN[cue_id])}
        for i in range(len(lib.variants(cue_id))):
            text = lib.render(cue_id, i, **values)
            assert text and "{" not in text


def test_set_summary_reads_like_a_coach():
    lib = load_cues(CUES_ROOT / "en")
    text = lib.render("set.summary", set_no=2, reps="8 reps", faults="2 with a rounded back")
    assert text == "Set 2 done: 8 reps, 2 with a rounded back."


def test_files_are_merged_and_extra_files_allowed(cue_dir: Path):
    (cue_dir / "view.toml").write_text('[view]\nturn_side = "Turn {direction} so I see your side."\n')
    lib = load_cues(cue_dir)
    assert lib.render("view.turn_side", direction="left") == "Turn left so I see your side."
    assert lib.sources["view.turn_side"].endswith("view.toml")


def test_malformed_toml_names_the_file(cue_dir: Path):
    (cue_dir / "system.toml").write_text("[system\ncamera_lost = 'x'\n")
    with pytest.raises(CueError, match=r"system\.toml: not valid TOML"):
        load_cues(cue_dir)


def test_missing_fault_cue_names_the_id(cue_dir: Path):
    text = (cue_dir / "faults.toml").read_text()
    (cue_dir / "faults.toml").write_text(text.replace('summary = "with a rounded back"\n', ""))
    with pytest.raises(CueError, match=r"fault\.spine_rounding\.summary is missing"):
        load_cues(cue_dir)


@pytest.mark.parametrize("bad, message", [
    ('[count]\nrep = 5\n', r"coaching\.toml: count\.rep must be a non-empty string"),
    ('[count]\nrep = []\n', r"count\.rep must be"),
    ('[count]\nrep = "{rep} of {total}"\n', r"count\.rep uses the unknown placeholder \{total\}"),
    ('[count]\nrep = "{rep"\n', r"count\.rep"),
])
def test_bad_values_name_file_and_id(cue_dir: Path, bad: str, message: str):
    text = (cue_dir / "coaching.toml").read_text().replace('[count]\nrep = "{rep}."', bad.strip())
    (cue_dir / "coaching.toml").write_text(text)
    with pytest.raises(CueError, match=message):
        load_cues(cue_dir)


def test_duplicate_id_names_both_files(cue_dir: Path):
    (cue_dir / "zz.toml").write_text('[system]\npaused = "Hold on."\n')
    with pytest.raises(CueError, match=r"zz\.toml: system\.paused is already defined in .*system\.toml"):
        load_cues(cue_dir)


def test_broken_library_falls_back_to_builtin_and_logs_once(cue_dir: Path, caplog):
    (cue_dir / "faults.toml").write_text("[fault.balance]\nshort = 3\n")
    with caplog.at_level(logging.ERROR, logger="coach.core.cues"):
        first = load_cues_or_builtin("en", root=cue_dir.parent)
        second = load_cues_or_builtin("en", root=cue_dir.parent)
    assert first.fallback and second.fallback
    assert first.render("fault.spine_rounding.short") == "Keep your back flat."
    errors = [r for r in caplog.records if "faults.toml" in r.getMessage()]
    assert len(errors) == 1 and "fault.balance.short" in errors[0].getMessage()
