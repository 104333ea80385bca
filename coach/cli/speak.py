"""`coach speak`: hear the coach's voice, check the cue library, or render cues to a WAV.

    coach speak "Keep your back flat."            say it (or print it when there is no speaker)
    coach speak --cue fault.spine_rounding.long   say a cue of the library (all its variants)
    coach speak --list-cues                       every cue id and its first wording
    coach speak --check-cues [DIR]                validate a cue directory (exit 2 naming file and id)
    coach speak ... --engine piper --rate 150 --volume 0.8 --to out.wav
"""

from __future__ import annotations

import argparse
import sys


def add_to(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("speak", help="say a text or a cue; list or check the cue library",
                       description=__doc__.splitlines()[0])
    p.add_argument("text", nargs="*", help="words to say")
    p.add_argument("--cue", action="append", default=[], metavar="ID",
                   help="a cue id from the library, e.g. fault.balance.short (repeatable)")
    p.add_argument("--list-cues", action="store_true", help="print every cue id and its wording")
    p.add_argument("--check-cues", nargs="?", const="", metavar="DIR",
                   help="validate the cue files of a language directory (default: cues/<lang>)")
    p.add_argument("--language", default="en", help="cue library language (default en)")
    p.add_argument("--engine", choices=("espeak", "piper"), default="espeak")
    p.add_argument("--voice", default="", help="espeak voice (en-us, en-gb) or a Piper .onnx file")
    p.add_argument("--rate", type=int, default=None, metavar="WPM", help="words a minute (60-400)")
    p.add_argument("--volume", type=float, default=1.0, help="0 to 1")
    p.add_argument("--to", metavar="WAV", help="write the speech into this WAV instead of playing it")
    p.add_argument("--device", default=None, help="sound output device (name or index)")
    p.set_defaults(run=run)


def _sample_values(text: str) -> dict[str, object]:
    from coach.core.cues import placeholders

    samples = {"rep": 7, "left": 3, "reps": "8 reps", "target": 10, "set_no": 2, "seconds": 90,
               "exercise": "Deadlift", "faults": "2 with a rounded back", "count": 2,
               "phrase": "with a rounded back", "sets": 3, "cue": "Keep your back flat."}
    return {name: samples.get(name, name) for name in placeholders(text)}


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from coach.core.cues import CUES_ROOT, CueError, load_cues, load_cues_or_builtin
    from coach.core.errors import CliError

    if args.check_cues is not None:
        directory = Path(args.check_cues) if args.check_cues else CUES_ROOT / args.language
        try:
            lib = load_cues(directory, args.language)
        except CueError as e:
            raise CliError(str(e)) from None
        files = sorted(set(lib.sources.values()))
        print(f"{directory}: {len(lib.messages)} cues in {len(files)} files, all valid")
        return 0

    lib = load_cues_or_builtin(args.language)
    if args.list_cues:
        for cue_id, variants in sorted(lib.messages.items()):
            more = f"  (+{len(variants) - 1} more)" if len(variants) > 1 else ""
            print(f"{cue_id:40s} {variants[0]}{more}")
        return 0

    texts = list(filter(None, [" ".join(args.text).strip()]))
    for cue_id in args.cue:
        if not lib.has(cue_id):
            raise CliError(f"no cue {cue_id!r} in the {args.language} library "
                           "(coach speak --list-cues lists them)")
        texts += [v.format(**_sample_values(v)) for v in lib.variants(cue_id)]
    if not texts:
        raise CliError("nothing to say: give some words, --cue ID, --list-cues or --check-cues")

    from coach.core.events import Cue
    from coach.speech.cache import AudioCache
    from coach.speech.engine import SpeechConfig, TtsError
    from coach.speech.engines import make_engine

    try:
        config = SpeechConfig(engine=args.engine, voice=args.voice, volume=args.volume,
                              **({"rate_wpm": args.rate} if args.rate else {}))
        cache = AudioCache(make_engine(config))
    except TtsError as e:
        raise CliError(str(e)) from None
    cues = [Cue(0.0, text, "confirm", 65) for text in texts]
    if args.to:
        from coach.speech.wav_sink import WavSink
        sink = WavSink(args.to, cache, volume=args.volume)
        t = 0.0
        for cue in cues:  # one after the other, a short breath between
            sink.add(Cue(t, cue.text, cue.kind, cue.priority))
            t += len(cache.get(cue.text)) / cache.sample_rate + 0.3
        try:
            spoken = sink.close()
        except OSError as e:
            raise CliError(f"{args.to}: cannot write the WAV ({e.strerror or e})") from None
        for s in spoken:
            print(f"{s.t:7.2f}s  {s.cue.text}", file=sys.stderr)
        return 0

    from coach.speech.speaker import Speaker
    speaker = Speaker(cache, device=args.device, volume=args.volume)
    for cue in cues:
        speaker.say(cue)
    speaker.close(drain=True)
    return 0
