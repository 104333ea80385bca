"""The voice-command parser: every command, numbers as words, synonyms, garbage, vocabulary errors."""

from pathlib import Path

import pytest

from coach.core import commands as c
from coach.core.vocabulary import VocabError, load_vocabulary
from coach.core.commands import default_vocabulary

V = default_vocabulary("en")

EXAMPLES = [
    ("switch to kettlebell swings", c.SwitchExercise("kettlebell_swing")),
    ("next exercise good mornings", c.SwitchExercise("good_morning")),
    ("change to RDLs", c.SwitchExercise("romanian_deadlift")),
    ("switch to romanian deadlifts", c.SwitchExercise("romanian_deadlift")),
    ("switch to the hip thrusts", c.SwitchExercise("hip_thrust")),
    ("squats", c.SwitchExercise("squat")),
    ("dowel drill", c.SwitchExercise("hip_hinge_drill")),
    ("hip hinge drill", c.SwitchExercise("hip_hinge_drill")),
    ("kettlebell deadlifts", c.SwitchExercise("kettlebell_deadlift")),
    ("go to deadlift", c.SwitchExercise("deadlift")),
    ("start set", c.StartSet()),
    ("next set", c.NextSet()),
    ("end set", c.EndSet()),
    ("set done", c.EndSet()),
    ("set three", c.GoToSet(3)),
    ("go to set number twelve", c.GoToSet(12)),
    ("target eight reps", c.SetTarget(8)),
    ("set target to twenty five reps", c.SetTarget(25)),
    ("pause", c.Pause()),
    ("hold on", c.Pause()),
    ("resume", c.Resume()),
    ("carry on", c.Resume()),
    ("repeat", c.Repeat()),
    ("say that again", c.Repeat()),
    ("how many", c.HowMany()),
    ("how many reps", c.HowMany()),
    ("how was that rep", c.HowWasThatRep()),
    ("what should I fix", c.WhatToFix()),
    ("rest ninety seconds", c.Rest(90.0)),
    ("rest", c.Rest(None)),
    ("skip rest", c.SkipRest()),
    ("I'm ready", c.SkipRest()),
    ("louder", c.Louder()),
    ("quieter", c.Quieter()),
    ("slower", c.Slower()),
    ("faster", c.Faster()),
    ("count every rep", c.CountEvery(1)),
    ("count every five reps", c.CountEvery(5)),
    ("quiet mode", c.QuietMode()),
    ("undo last rep", c.UndoRep()),
    ("that wasn't a rep", c.UndoRep()),
    ("That wasn\u2019t a rep!", c.UndoRep()),
    ("help", c.Help()),
    ("what can I say", c.Help()),
    ("finish workout", c.FinishWorkout()),
    ("I'm done", c.FinishWorkout()),
    ("yes", c.Yes()),
    ("yes please", c.Yes()),
    ("do it", c.Yes()),
    ("no", c.No()),
    ("cancel", c.No()),
]


@pytest.mark.parametrize("text,expected", EXAMPLES)
def test_every_command_and_synonym(text, expected):
    assert c.parse(text, V) == expected


def test_every_command_class_is_reachable():
    found = {type(cmd).__name__ for _, cmd in EXAMPLES}
    assert found == set(c.COMMAND_CLASSES)


@pytest.mark.parametrize("text,seconds", [
    ("rest ninety", 90), ("rest one twenty", 120), ("rest two minutes", 120),
    ("rest a minute", 60), ("rest a minute and a half", 90), ("rest half a minute", 30),
    ("rest two and a half minutes", 150), ("rest one minute thirty", 90),
    ("rest for forty five seconds", 45), ("rest one hundred and twenty seconds", 120),
    ("rest 75", 75), ("rest two minutes and thirty seconds", 150),
])
def test_durations_spoken_as_words(text, seconds):
    assert c.parse(text, V) == c.Rest(float(seconds))


@pytest.mark.parametrize("words,value", [
    ("seven", 7), ("fifteen", 15), ("ninety", 90), ("twenty five", 25), ("one twenty", 120),
    ("a hundred", 100), ("one hundred and five", 105), ("two ten", 210), ("42", 42),
    ("twenty twenty five", None), ("five twenty five", None), ("four ninety", None), ("banana", None), ("one one", None),
])
def test_numbers(words, value):
    assert c.parse_number(words.split(), V.numbers) == value


@pytest.mark.parametrize("text", [
    "", "the quick brown fox jumps over the lazy dog", "set", "target", "switch to pizza",
    "rest ninety bananas", "set zero", "target two hundred reps", "how many how many",
    "go forward ten meters", "rest five hours", "coach",
])
def test_garbage_is_none(text):
    assert c.parse(text, V) is None


def test_wake_word_and_fillers():
    assert c.split_wake_word(c.normalize("Hey coach, how many?"), V) == (True, ("how", "many"))
    assert c.split_wake_word(c.normalize("how many"), V) == (False, ("how", "many"))
    assert c.parse("coach, next set please", V) == c.NextSet()


def test_to_json():
    assert c.Rest(90.0).to_json() == {"command": "Rest", "seconds": 90.0}
    assert c.Help().to_json() == {"command": "Help"}


def test_help_lines_depend_on_state():
    rest = c.help_lines("rest", V)
    paused = c.help_lines("paused", V)
    assert "Skip rest." in rest and "Skip rest." not in paused
    assert "Resume." in paused and "Resume." not in rest
    assert rest[0] == "You can say:" and all(line.endswith(".") or line.endswith(":") for line in rest)


def _write(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "xx.toml"
    p.write_text('language = "xx"\n[exercises]\nsquat = ["squat"]\n' + body)
    return p


@pytest.mark.parametrize("body,where", [
    ('[commands.a]\ncommand = "Pause"\nphrasings = ["(stop | halt"]\n', "commands.a.phrasings[0]"),
    ('[commands.a]\ncommand = "Jump"\nphrasings = ["jump"]\n', "commands.a.command"),
    ('[commands.a]\ncommand = "GoToSet"\nphrasings = ["set"]\n', "commands.a.phrasings"),
    ('[commands.a]\ncommand = "Pause"\nphrasings = ["{colour}"]\n', "commands.a.phrasings[0]"),
    ('[commands.a]\ncommand = "Rest"\nphrasings = ["rest {seconds}"]\n', "numbers"),
    ('[commands.a]\ncommand = "Pause"\nphrasings = ["pause"]\nwhen = ["lunch"]\n', "commands.a.when"),
    ('[commands.a]\ncommand = "Pause"\n', "commands.a.phrasings"),
    ('[commands.a\n', "not valid TOML"),
])
def test_vocabulary_errors_name_file_and_key(tmp_path, body, where):
    with pytest.raises(VocabError) as e:
        load_vocabulary(_write(tmp_path, body), c.COMMAND_FIELDS)
    assert "xx.toml" in str(e.value) and where in str(e.value)


@pytest.mark.parametrize("text,final", [
    ("coach pause", True),
    ("coach start set", True),
    ("coach rest ninety seconds", True),
    ("coach switch to kettlebell swings", True),
    ("coach", False),                          # the command is still to come
    ("coach start", False),                    # "start a set"
    ("coach stop", False),                     # "stop set" is another command
    ("coach how many", False),                 # "how many reps"
    ("coach rest ninety", False),              # "... seconds"
    ("coach target twenty", False),            # "twenty five"
    ("coach switch to kettlebell", False),     # "kettlebell swings"
    ("coach how many please", False),          # a filler: wait for the whole pause
    ("coach what is the weather", False),      # no command
])
def test_command_ends_when_nothing_can_follow(text, final):
    from coach.voice.grammar import CommandEnds
    assert CommandEnds(V).is_final(text) is final
