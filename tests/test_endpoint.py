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
