"""The energy endpointer: speech found in silence and in steady noise, cut when too long."""

import numpy as np

from coach.voice.endpoint import EndpointConfig, EnergyEndpointer

RATE = 16000


def _events(x, config=None):
    ep = EnergyEndpointer(config)
    out = []
    for i in range(0, len(x) - 479, 480):
        ev, _ = ep.process(x[i:i + 480])
        if ev in ("start", "end"):
            out.append((ev, round(ep.speech_start if ev == "start" else ep.speech_end, 2)))
    return out


def _burst(noise_rms: float, speech_rms: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(RATE * 4) * noise_rms
    t = np.arange(RATE) / RATE
    x[RATE * 2:RATE * 3] += np.sin(2 * np.pi * 300 * t) * speech_rms * np.sqrt(2) * (1 + 0.3 * np.sin(2 * np.pi * 4 * t))
    return np.clip(x, -32768, 32767).astype(np.int16)


def test_speech_in_silence_starts_and_ends_near_the_truth():
    ev = _events(_burst(5, 3000))
    assert [e for e, _ in ev] == ["start", "end"]
    assert abs(ev[0][1] - 2.0) < 0.3 and abs(ev[1][1] - 3.0) < 0.15


def test_speech_10_db_above_steady_noise_is_found():
    ev = _events(_burst(1000, 3200))
    assert [e for e, _ in ev] == ["start", "end"]
    assert abs(ev[1][1] - 3.0) < 0.3


def test_steady_noise_alone_is_not_speech():
    rng = np.random.default_rng(1)
    x = (rng.standard_normal(RATE * 5) * 2000).astype(np.int16)
    assert _events(x) == []


def test_an_utterance_is_cut_at_the_maximum_length():
    rng = np.random.default_rng(2)
    x = np.concatenate([rng.standard_normal(RATE) * 10, rng.standard_normal(RATE * 6) * 5000]).astype(np.int16)
    ev = _events(x, EndpointConfig(max_utt_s=2.0))
    assert ev[:2] == [("start", ev[0][1]), ("end", ev[1][1])] and ev[1][1] - ev[0][1] <= 2.1


def test_talk_that_was_cut_starts_no_new_utterance_until_it_pauses():
    rng = np.random.default_rng(3)
    quiet = lambda s: rng.standard_normal(int(RATE * s)) * 10
    loud = lambda s: rng.standard_normal(int(RATE * s)) * 5000
    x = np.concatenate([quiet(1), loud(3.5), quiet(1), loud(0.8), quiet(1)]).astype(np.int16)
    ev = _events(x, EndpointConfig(max_utt_s=2.0))
    # the first talk is cut once (its last 1.5 s are no utterance); the next one is heard
    assert [e for e, _ in ev] == ["start", "end", "start", "end"]
    assert abs(ev[2][1] - 5.5) < 0.4


def test_end_here_ends_at_the_start_of_the_quiet():
    x = _burst(5, 3000)
    ep = EnergyEndpointer()
    ended = None
    for i in range(0, len(x) - 479, 480):
        ev, _ = ep.process(x[i:i + 480])
        if ev == "speech" and ep.quiet_s >= 0.15:
            assert ep.quiet_frames < ep.hang_frames
            ep.end_here()
            ended = ep.speech_end
            break
    assert ended is not None and abs(ended - 3.0) < 0.1
    assert not ep.in_speech and ep.quiet_s == 0.0


def _swelling_noise(seconds: float, seed: int) -> np.ndarray:
    """Noise that swells and fades by ~14 dB every quarter second, as music and a crowd do."""
    rng = np.random.default_rng(seed)
    levels = np.repeat(rng.uniform(300, 1500, int(seconds * 4)), RATE // 4)
    return rng.standard_normal(len(levels)) * levels


def test_two_commands_a_second_apart_in_swelling_noise_are_two_utterances():
    x = _swelling_noise(6, 4)
    t = np.arange(RATE) / RATE
    voice = np.sin(2 * np.pi * 300 * t) * 8000 * (1 + 0.3 * np.sin(2 * np.pi * 4 * t))
    x[RATE * 2:RATE * 3] += voice
    x[RATE * 4:RATE * 5] += voice
    x = np.clip(x, -32768, 32767).astype(np.int16)
    ev = _events(x)
    assert [e for e, _ in ev] == ["start", "end", "start", "end"]
    assert abs(ev[1][1] - 3.0) < 0.3 and ev[1][1] < ev[2][1] < 4.0 < ev[3][1]
    # the floor alone never sees the pause between them: the swells keep the gap "loud"
    assert [e for e, _ in _events(x, EndpointConfig(below_level_s=99.0))].count("start") == 1


def test_two_commands_in_real_music_and_a_crowd_are_two_utterances():
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "audio_fixtures"))
    import make_fixtures as mf

    items = [(t, mf.say(t, v), None) for t, v in (("coach undo rep", mf.VOICES[0]),
                                                  ("coach what can i say", mf.VOICES[1]))]
    clean, segs = mf.stream(items, gap_s=1.0)
    level = float(np.median([mf.speech_rms(x) for _, x, _ in items]))
    # 20 dB SNR in a stretch of the real recordings where the music swells in the pause
    noise = mf.real_noise(RATE * 60, seed=2)[RATE * 24:]
    audio = mf.mix_at_snr(clean, noise[:len(clean)], 20.0, speech_level=level)
    ev = _events(audio)
    assert [e for e, _ in ev] == ["start", "end", "start", "end"]
    assert ev[1][1] < segs[0].end + 0.3 and segs[1].start - 0.4 < ev[2][1] < segs[1].start
    assert len(_events(audio, EndpointConfig(below_level_s=99.0))) == 2   # the floor alone: one


def test_in_a_quiet_room_a_soft_stretch_of_speech_does_not_end_it():
    # a soft half second (12 dB below the rest) inside speech in a quiet room: the floor rule
    # sees no pause there, and the level rule is for noise only
    rng = np.random.default_rng(5)
    x = rng.standard_normal(RATE * 4) * 5
    t = np.arange(int(RATE * 1.5)) / RATE
    voice = np.sin(2 * np.pi * 300 * t) * 8000
    voice[int(RATE * 0.5):RATE] *= 0.25
    x[RATE:RATE + len(voice)] += voice
    x = x.astype(np.int16)
    assert [e for e, _ in _events(x)] == ["start", "end"]
    assert [e for e, _ in _events(x, EndpointConfig(noisy_snr_db=99.0))] == ["start", "end", "start", "end"]


def _name_pause_command(noise_rms: float, pause_s: float) -> np.ndarray:
    """ "coach" (0.35 s), a pause, then a command (0.8 s), over steady noise."""
    rng = np.random.default_rng(6)
    x = rng.standard_normal(RATE * 4) * noise_rms

    def tone(s):
        t = np.arange(int(RATE * s)) / RATE
        return np.sin(2 * np.pi * 300 * t) * 4000 * (1 + 0.3 * np.sin(2 * np.pi * 4 * t))

    a = RATE
    x[a:a + int(RATE * 0.35)] += tone(0.35)
    b = a + int(RATE * (0.35 + pause_s))
    x[b:b + int(RATE * 0.8)] += tone(0.8)
    return np.clip(x, -32768, 32767).astype(np.int16)


def test_in_noise_the_pause_after_the_name_does_not_cut_the_command_off():
    x = _name_pause_command(1000, 0.35)
    assert [e for e, _ in _events(x)] == ["start", "end"]
    assert [e for e, _ in _events(x, EndpointConfig(short_s=0.0))] == ["start", "end", "start", "end"]
    # a longer pause is the user waiting after the name: two utterances ("coach" arms the next)
    assert [e for e, _ in _events(_name_pause_command(1000, 0.8))] == ["start", "end", "start", "end"]
    # in a quiet room the pause is heard as it is
    assert [e for e, _ in _events(_name_pause_command(5, 0.35))] == ["start", "end", "start", "end"]
