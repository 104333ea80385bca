"""The coach's own sentences as grammar paths (coach.voice.own_speech): which sentences become
paths and how their placeholders read; the recognizer's use of them is in test_voice.py."""

from __future__ import annotations

from coach.core.commands import default_vocabulary
from coach.voice.grammar import jsgf
from coach.voice.own_speech import number_words, own_sentences

EN = default_vocabulary("en")


def _all_known(word: str) -> bool:
    return True


def _sentences(texts, known=_all_known) -> list[str]:
    return [" ".join(tokens) for tokens in own_sentences(texts, EN, known)]


def test_numbers_are_said_in_the_vocabularys_words():
    n = EN.numbers
    assert [number_words(v, n) for v in (3, 15, 40, 95, 100, 120, 305)] == [
        "three", "fifteen", "forty", "ninety five", "one hundred", "one hundred and twenty",
        "three hundred and five"]
    assert number_words(0, n) is None and number_words(1000, n) is None


def test_sentences_split_at_stops_with_placeholders_as_rules():
    got = _sentences(["Set {set_no} done: {reps}, all clean.", "{seconds} seconds left.",
                         "Take about 2 seconds on the way down."])
    assert got == ["set <count> done", "<count> [reps | rep] all clean", "<number> seconds left",
                   "take about two seconds on the way down"]


def test_free_text_placeholders_and_single_words_are_left_out():
    got = _sentences(["Set done: {faults}.", "I can judge {things}.", "Good.", "Good, hips back."])
    assert got == ["good hips back"]


def test_sentences_the_parser_reads_as_commands_are_left_out():
    """The coach's "Rest 90 seconds." is the user's command word for word: a path of its own
    would take the command from the user."""
    got = _sentences(["How many reps.", "Next set.", "Rest {seconds} seconds.", "Workout done.",
                         "Get ready for the next set."])
    assert got == ["get ready for the next set"]


def test_words_the_recognizer_cannot_say_leave_their_sentence_out():
    got = _sentences(["Keep the load close.", "Squeeze your glutes."], lambda w: w != "glutes")
    assert got == ["keep the load close"]


def test_the_number_phrase_is_not_doubled():
    assert _sentences(["Well done: {sets} sets, {reps} reps."]) == [
        "well done", "<count> sets <count> reps"]


def test_grammar_gives_own_sentences_their_own_path():
    own = [("keep", "the", "load", "close"), ("keep", "your", "back", "flat"), ("keep", "it", "close"),
           ("keep", "it", "close", "now"), ("set", "<count>", "done")]
    g = jsgf(EN, "coach", own=own)
    # one path per first word: the decoder's work grows with the first words, not the sentences
    assert "<own> = (keep (the load close | your back flat | it close [now]) | set <count> done);" in g
    assert g.rstrip().endswith("| <wake> | <own>;")
    assert "<own>" not in jsgf(EN, "coach")
