"""coach.io.wav, the one WAV reader/writer and resampler: what it writes is a standard WAV, what
it reads comes back the same, and resampling does not alias."""

from __future__ import annotations

import gzip
import io
import wave

import numpy as np
import pytest

from coach.io.wav import Resampler, read_wav, resample, to_int16, unit_to_int16, wav_format, write_wav


def tone(freq: float, rate: int, seconds: float = 1.0, level: float = 8000.0) -> np.ndarray:
    return level * np.sin(2 * np.pi * freq * np.arange(int(rate * seconds)) / rate)


@pytest.mark.parametrize("channels", [1, 2])
def test_written_wavs_are_standard_and_read_back_the_same(tmp_path, channels):
    x = to_int16(tone(440, 22050))
    data = x if channels == 1 else np.stack([x, x // 2], axis=1)
    p = tmp_path / "t.wav"
    write_wav(p, data, 22050)
    with wave.open(str(p)) as w:   # the standard library agrees on what was written
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()) == (channels, 2, 22050, len(x))
        assert np.array_equal(np.frombuffer(w.readframes(len(x)), "<i2").reshape(data.shape), data)
    back, rate = read_wav(p)
    assert rate == 22050 and wav_format(p).channels == channels
    if channels == 1:
        assert np.array_equal(back, x)


def test_a_file_object_is_read_and_written_too(tmp_path):
    x = to_int16(tone(300, 11025))
    with gzip.open(tmp_path / "t.wav.gz", "wb") as fh:   # no seeking needed either way
        write_wav(fh, x, 11025)
    with gzip.open(tmp_path / "t.wav.gz", "rb") as fh:
        back, rate = read_wav(fh)
    assert rate == 11025 and np.array_equal(back, x)
    buf = io.BytesIO()
    write_wav(buf, x, 11025)
    assert np.array_equal(read_wav(io.BytesIO(buf.getvalue()))[0], x)


def test_floats_must_be_converted_explicitly(tmp_path):
    with pytest.raises(TypeError, match="unit_to_int16"):
        write_wav(tmp_path / "f.wav", np.zeros(10), 16000)
    assert unit_to_int16(np.array([-2.0, -1.0, 0.0, 0.5, 1.0, 2.0])).tolist() == [
        -32767, -32767, 0, 16384, 32767, 32767]


def test_downsampling_does_not_alias():
    """A 10 kHz tone has no place at 16 kHz (Nyquist 8 kHz): it must vanish, not fold to 6 kHz."""
    y = resample(tone(10000, 44100), 44100, 16000)
    assert np.sqrt(np.mean(y[100:-100] ** 2)) < 8000 / np.sqrt(2) * 0.03   # below -30 dB
    kept = resample(tone(1000, 44100), 44100, 16000)
    assert np.abs(kept[100:-100] - tone(1000, 16000)[100:len(kept) - 100]).max() < 80


def test_same_rate_is_the_input_itself():
    x = tone(440, 16000)
    assert np.array_equal(Resampler(16000, 16000).process(x, final=True), x)


def test_the_speech_wav_resamples_a_voice_at_another_rate(tmp_path):
    """WavSpeaker writes 22.05 kHz; a voice at 16 kHz is resampled (band-limited), not stretched."""
    from coach.core.events import Cue
    from coach.speech.sinks import WavSpeaker

    class Voice16k:
        volume = 1.0

        def render(self, text: str) -> tuple[np.ndarray, int]:
            return to_int16(tone(500, 16000, 0.5)), 16000

    p = tmp_path / "speech.wav"
    speaker = WavSpeaker(str(p), voice=Voice16k())  # type: ignore[arg-type]
    speaker.say(Cue(1.0, "hello", "system", 10))
    speaker.close()
    x, rate = read_wav(p)
    (segment,) = speaker.timeline.segments
    assert rate == WavSpeaker.RATE and abs((segment.end - segment.start) - 0.5) < 0.01
    said = x[int(1.0 * rate) + 100: int(1.5 * rate) - 100].astype(np.float64)
    ideal = tone(500, rate, 0.5)[100:len(said) + 100]
    assert np.abs(said - ideal).max() < 80
