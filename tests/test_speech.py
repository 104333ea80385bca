"""Speech output with the real espeak-ng: engine, cache, WAV sink on a timeline, speaker."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest

from coach.core.policy_config import PolicyConfig
from coach.core.cues import load_cues_or_builtin
from coach.core.events import Cue, Fault, FaultFound, RepCounted, RepJudged, SetStarted
from coach.speech.cache import AudioCache, fixed_texts
from coach.speech.engine import SpeechConfig, TtsError
from coach.speech.engines import make_engine
from coach.speech.espeak_engine import EspeakEngine
from coach.speech.output import NullOutput
from coach.speech.render import speak_events_to_wav
from coach.speech.speaker import Speaker
from coach.speech.timeline import lay_out
from coach.speech.wav_sink import WavSink

CFG = PolicyConfig()


@pytest.fixture(scope="module")
def espeak() -> EspeakEngine:
    return EspeakEngine("en-us", 170)


def rms_windows(samples: np.ndarray, sr: int, win_s: float = 0.05) -> np.ndarray:
    n = int(win_s * sr)
    usable = samples[: len(samples) // n * n].reshape(-1, n)
    return np.sqrt((usable.astype(np.float64) ** 2).mean(axis=1))


def read_wav(path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as fh:
        sr = fh.getframerate()
        assert fh.getnchannels() == 1 and fh.getsampwidth() == 2
        data = np.frombuffer(fh.readframes(fh.getnframes()), "<i2")
    return data.astype(np.float32) / 32768.0, sr


def test_espeak_speaks_in_memory_and_keeps_stdout_clean(espeak: EspeakEngine, capfd):
    short, sr = espeak.synthesize("Five.")
    long, _ = espeak.synthesize("Brace your core like you're about to get punched.")
    assert sr == 22050 and short.dtype == np.float32
    assert 0.2 < len(short) / sr < len(long) / sr < 6.0
    assert 0.1 < np.abs(long).max() <= 1.0
    # audible from the first moment: leading silence trimmed
    assert rms_windows(long[: int(0.1 * sr)], sr, 0.05).max() > 0.005
    out, _ = capfd.readouterr()
    assert out == ""  # pyttsx3's save_to_file would print "Audio saved to ..." here


def test_rate_changes_the_duration():
    slow, sr = EspeakEngine("en-us", 120).synthesize("Control the lowering, two seconds down.")
    fast, _ = EspeakEngine("en-us", 260).synthesize("Control the lowering, two seconds down.")
    assert len(slow) > 1.6 * len(fast)


def test_bad_engine_settings_are_one_sentence():
    with pytest.raises(TtsError, match="no voice 'xx-nowhere'"):
        EspeakEngine("xx-nowhere")
    with pytest.raises(TtsError, match="unknown speech engine"):
        SpeechConfig(engine="festival")
    with pytest.raises(TtsError, match="out of range"):
        SpeechConfig(rate_wpm=5)


def test_cache_keys_on_text_engine_voice_and_rate(espeak: EspeakEngine, tmp_path):
    cache = AudioCache(espeak, tmp_path)
    a = cache.get("Stand tall.")
    assert cache.cached("Stand tall.") and cache.get("Stand tall.") is a
    assert cache.misses == 1 and cache.hits == 1
    # a new cache over the same directory reads the render back from disk
    again = AudioCache(espeak, tmp_path).get("Stand tall.")
    np.testing.assert_array_equal(again, a)
    other = AudioCache(EspeakEngine("en-us", 250), tmp_path)
    assert other.key("Stand tall.") != cache.key("Stand tall.")
    assert len(other.get("Stand tall.")) < len(a)


def test_fixed_texts_cover_the_library_and_counts():
    texts = fixed_texts(load_cues_or_builtin())
    assert "Control the lowering." in texts and "12." in texts
    assert not [t for t in texts if "{" in t]


def test_wav_sink_puts_audio_at_the_cue_times(espeak: EspeakEngine, tmp_path):
    cache = AudioCache(espeak)
    sink = WavSink(tmp_path / "s.wav", cache, CFG)
    sink.add(Cue(1.0, "Keep your back flat.", "correction", 80))
    sink.add(Cue(5.0, "Three.", "count", 30))
    spoken = sink.close(duration=8.0)
    assert [round(s.t, 3) for s in spoken] == [1.0, 5.0]
    samples, sr = read_wav(tmp_path / "s.wav")
    assert abs(len(samples) / sr - 8.0) < 0.01
    rms = rms_windows(samples, sr)  # 50 ms windows
    t = np.arange(len(rms)) * 0.05
    first_end = 1.0 + len(cache.get("Keep your back flat.")) / sr
    loud = rms > 0.01
    assert not loud[t < 0.95].any()  # silence before the first cue
    assert loud[(t >= 1.0) & (t < 1.3)].any()  # speech right at 1.0
    assert not loud[(t > first_end + 0.05) & (t < 4.95)].any()  # silence between the cues
    assert loud[(t >= 5.0) & (t < 5.3)].any()
    assert not loud[t > 6.5].any()


def test_a_count_cuts_a_safety_message_which_is_said_again_after_it(espeak: EspeakEngine):
    cache = AudioCache(espeak)
    cues = [Cue(2.0, "Stop. Reset your back.", "safety", 95),
            Cue(2.3, "Seven.", "count", 90)]
    tl = lay_out(cues, cache.get, cache.sample_rate, CFG)
    first, second, third = tl.segments
    assert first.cue.kind == "safety" and first.cut and first.end == pytest.approx(2.3)
    assert second.cue.kind == "count" and second.start == pytest.approx(2.3) and not second.cut
    assert third.cue.kind == "safety" and third.start == pytest.approx(second.end)
    assert not tl.dropped
    for a, b in zip(tl.segments, tl.segments[1:]):
        assert a.end <= b.start + 1e-9


def test_speak_events_to_wav_end_to_end(tmp_path, capfd):
    events = [SetStarted(0.0, 1, "deadlift", target_reps=3),
              FaultFound(5.0, 1, Fault("spine_rounding", "pull", "moderate")),
              RepCounted(6.0, 1, 4.5, 6.0), RepJudged(7.5, 1, True, ())]
    spoken = speak_events_to_wav(events, tmp_path / "a.wav", exercise="deadlift", duration=12.0)
    kinds = [s.cue.kind for s in spoken]
    assert kinds[0] == "set" and "correction" in kinds
    fix = next(s for s in spoken if s.cue.kind == "correction")
    assert fix.t == pytest.approx(5.0)
    samples, sr = read_wav(tmp_path / "a.wav")
    rms = rms_windows(samples, sr)
    assert rms[int(5.0 / 0.05): int(5.5 / 0.05)].max() > 0.01
    assert capfd.readouterr().out == ""


def test_speaker_plays_in_order_honours_preemption_and_never_blocks(espeak: EspeakEngine):
    spoken = []
    out = NullOutput(espeak.sample_rate, paced=False)
    sp = Speaker(AudioCache(espeak), CFG, output=out, on_spoken=spoken.append)
    sp.say_all([Cue(0.0, "Set one. Deadlift.", "set", 50),
                Cue(0.0, "Keep the load close to your body.", "correction", 60)])
    sp.close(drain=True)
    # the correction cuts the announcement it outranks; the announcement is said after it
    assert [s.cue.kind for s in spoken] == ["set", "correction", "set"]
    assert out.samples_written > espeak.sample_rate  # both were played (> 1 s of audio)


def test_speaker_without_a_sound_card_prints_the_cues_once_warned():
    stream = io.StringIO()
    spoken = []
    sp = Speaker(AudioCache(EspeakEngine()), CFG, device="no-such-device-xyz",
                 text_stream=stream, on_spoken=spoken.append)
    sp.say(Cue(0.0, "Control the lowering.", "correction", 60))
    sp.say(Cue(0.0, "Paused.", "system", 70))
    sp.close(drain=True)
    lines = stream.getvalue().splitlines()
    assert len([line for line in lines if "printed here instead" in line]) == 1
    assert "coach says: Control the lowering." in lines and "coach says: Paused." in lines
    assert len(spoken) == 2


@pytest.fixture(scope="module")
def piper():
    return make_engine(SpeechConfig(engine="piper"))


def test_piper_engine_with_the_bundled_voice(piper):
    engine = piper
    samples, sr = engine.synthesize("Squeeze your glutes to finish tall.")
    assert engine.name == "piper" and engine.voice == "en_US-joe-medium" and sr == 22050
    assert 1.0 < len(samples) / sr < 5.0 and samples.dtype == np.float32
    assert 0.3 < np.abs(samples).max() <= 1.0


def test_a_slow_engine_streams_a_long_uncached_cue_phrase_by_phrase(piper):
    from coach.speech.speaker import split_first_phrase

    engine = piper
    text = "Brace your core like you're about to get punched, and keep your back flat."
    head, tail = split_first_phrase(text)
    assert head.endswith("punched,") and tail == "and keep your back flat."
    cache = AudioCache(engine)
    out = NullOutput(engine.sample_rate, paced=False)
    sp = Speaker(cache, CFG, output=out)
    sp.say(Cue(0.0, text, "correction", 80))
    sp.close(drain=True)
    # the head played first and the tail followed: all of both reached the device
    assert out.samples_written == len(cache.get(head)) + len(cache.get(tail))


def test_voice_commands_change_the_speakers_volume_and_rate(espeak: EspeakEngine):
    from coach.core.commands import Faster, Louder, Quieter

    text = "Control the lowering, two seconds down."
    out = NullOutput(espeak.sample_rate, paced=False)
    sp = Speaker(AudioCache(espeak), CFG, output=out, volume=0.6)
    assert sp.apply_command(Louder()) and sp.volume == pytest.approx(0.8)
    assert sp.apply_command(Quieter()) and sp.volume == pytest.approx(0.6)
    sp.say(Cue(0.0, text, "correction", 60))
    sp.apply_command(Faster())
    sp.say(Cue(0.0, text + " ", "correction", 60))  # waits, then plays at the new rate
    sp.close(drain=True)
    normal = len(AudioCache(espeak).get(text))
    assert sp.cache.engine.rate_wpm == espeak.rate_wpm + 25
    assert out.samples_written < 2 * normal - 0.1 * normal


def test_speaker_warms_the_cache_with_the_cue_library(espeak: EspeakEngine):
    cache = AudioCache(espeak)
    sp = Speaker(cache, CFG, output=NullOutput(espeak.sample_rate, paced=False),
                 library=load_cues_or_builtin())
    sp._warmup.join(30)
    sp.close()
    assert cache.cached("Control the lowering.") and cache.cached("12.")


class _HookedOutput(NullOutput):
    """A null device that runs `hook` at its first write: a cue arriving mid-playback."""

    def __init__(self, sample_rate, hook):
        super().__init__(sample_rate, paced=False)
        self.hook, self.writes = hook, 0

    def write(self, block):
        self.writes += 1
        if self.writes == 1:
            self.hook()
        super().write(block)


def test_live_speaker_cuts_a_count_for_a_safety_cue_but_not_the_reverse(espeak: EspeakEngine):
    cache = AudioCache(espeak)
    long_count = "Twelve, that's the set, well done, rack it."
    safety = "Stop. Reset your back."
    spoken = []
    holder = {}
    out = _HookedOutput(espeak.sample_rate, lambda: holder["sp"].say(Cue(0.0, safety, "safety", 90)))
    sp = holder["sp"] = Speaker(cache, PolicyConfig(count_grace_s=0.0), output=out,
                                on_spoken=spoken.append)
    sp.say(Cue(0.0, long_count, "count", 30))
    sp.close(drain=True)
    assert [s.cue.kind for s in spoken] == ["count", "safety"]
    block = sp._block
    # the count stopped after a block or two; the safety cue played in full
    assert out.samples_written <= len(cache.get(safety)) + 3 * block
    assert out.samples_written >= len(cache.get(safety))

    spoken.clear()
    out2 = _HookedOutput(espeak.sample_rate, lambda: holder["sp2"].say(Cue(0.0, "Nine.", "count", 30)))
    sp2 = holder["sp2"] = Speaker(cache, CFG, output=out2, on_spoken=spoken.append)
    sp2.say(Cue(0.0, safety, "safety", 90))
    sp2.close(drain=True)
    # the count waited for the whole safety cue (and then played: it was not stale yet)
    assert spoken[0].cue.kind == "safety"
    assert out2.samples_written >= len(cache.get(safety))
