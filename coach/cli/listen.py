"""`coach listen`: the voice commands heard in a WAV file or from the microphone, with their times."""

from __future__ import annotations

import argparse
import json
import logging
import sys

from coach.core.errors import CliError

log = logging.getLogger(__name__)


def add_to(subparsers) -> None:
    p = subparsers.add_parser(
        "listen", help="print the voice commands heard in a WAV file or from the microphone",
        description="Print the voice commands heard (offline: PocketSphinx, or Vosk with --vosk-model), "
                    "with the time each was heard.")
    p.add_argument("audio", nargs="?", help="a WAV file (any rate, mono or stereo)")
    p.add_argument("--mic", action="store_true", help="listen to the microphone until Ctrl-C")
    p.add_argument("--device", help="microphone by index or (part of its) name")
    p.add_argument("--json", action="store_true", help="JSON on stdout")
    p.add_argument("--wake-word", dest="wake", action=argparse.BooleanOptionalAction, default=True,
                   help="require the wake word before a command (default: on; off for a quiet room)")
    p.add_argument("--wake", dest="wake_text", metavar="WORD",
                   help="the wake word (default: the vocabulary's, 'coach' in English)")
    p.add_argument("--vosk-model", metavar="DIR", help="use Vosk with this model directory")
    p.add_argument("--vosk-lang", metavar="LANG",
                   help="use Vosk with the installed model of this language (en-us, ko...: $VOSK_MODEL_PATH, "
                        "/usr/share/vosk or ~/.cache/vosk; never downloaded)")
    p.add_argument("--word-loop", action="store_true",
                   help="also refuse speech after the wake word that is no command (more CPU)")
    p.add_argument("--language", help="vocabulary language (coach/vocab/LANG.toml; default: that of "
                                      "--vosk-lang, else en)")
    p.add_argument("--recognizer", choices=("fast", "accurate", "both"),
                   help="fast: PocketSphinx alone; accurate: Whisper base alone; both: Whisper for what "
                        "PocketSphinx is unsure of (default: both, or fast on a Raspberry Pi 4)")
    p.add_argument("--all", action="store_true", help="also show speech that was not accepted")
    p.set_defaults(run=run)


def _describe(heard) -> str:
    if heard.accepted:
        c = heard.command.to_json()
        name = c.pop("command")
        slots = " ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in c.items())
        return f"{name}{' ' + slots if slots else ''}  (heard: \"{heard.text}\")"
    if heard.rejected:
        return f"(sorry, say that again)  (heard: \"{heard.text}\", {heard.reason})"
    return f"(ignored: {heard.reason})  (heard: \"{heard.text}\")"


def run(args) -> int:
    from coach.core.commands import default_vocabulary
    from coach.core.vocabulary import VocabError
    from coach.voice.audio import AudioError, mic_chunks, wav_chunks
    from coach.voice.command_source import create_recognizer
    from coach.voice.recognizers import RecognizerError, find_vosk_model

    if bool(args.audio) == bool(args.mic):
        raise CliError("give a WAV file or --mic (one of them)")
    if args.vosk_model and args.vosk_lang:
        raise CliError("give --vosk-model or --vosk-lang, not both")
    language = args.language or (args.vosk_lang.split("-")[0] if args.vosk_lang else "en")
    try:
        vosk_model = args.vosk_model or (find_vosk_model(args.vosk_lang) if args.vosk_lang else None)
        vocab = default_vocabulary(language)
    except (RecognizerError, VocabError) as e:
        raise CliError(str(e)) from None
    wake = args.wake_text or (vocab.wake_words[0] if vocab.wake_words else None)
    first = None
    try:
        chunks = wav_chunks(args.audio) if args.audio else None
        if chunks is not None:
            first = next(chunks, None)   # fail on a bad file before loading a model
        # a file is read faster than it plays: Whisper answers in order, in the reading thread
        listener = create_recognizer(wake_word=wake, vosk_model=vosk_model, vocab=vocab, word_loop=args.word_loop,
                                     mode=args.recognizer, synchronous=bool(args.audio),
                                     require_wake_word=args.wake)
        if listener.second_missing:
            print(f"coach: the fast recognizer alone: {listener.second_missing}", file=sys.stderr)
    except (AudioError, RecognizerError, VocabError) as e:
        raise CliError(str(e)) from None

    out = []
    accepted = [0]

    def emit(heard) -> None:
        accepted[0] += bool(heard.accepted)
        if not (heard.accepted or heard.rejected or args.all):
            return
        if args.json:
            out.append(heard.to_json())
        else:
            t = heard.t - t0 if args.mic else heard.t
            print(f"{t:8.2f}  {_describe(heard)}", flush=True)

    t0 = 0.0
    try:
        if args.audio:
            from itertools import chain
            stream = chain([first], chunks) if first is not None and chunks is not None else iter(())
            for chunk in stream:
                for h in listener.process(chunk):
                    emit(h)
            for h in listener.flush():
                emit(h)
            if not args.json and not accepted[0]:
                print("no commands heard")  # silence (or only speech that was no command) says so
        else:
            import time

            from coach.voice.audio import resolve_device
            device = int(args.device) if args.device and args.device.isdigit() else args.device
            resolve_device(device)   # no microphone: say so before "listening"
            t0 = time.monotonic()
            play = _earcon_player()
            print("listening (Ctrl-C to stop)" + (f"; say \"{wake}\" first" if listener.require_wake_word else ""),
                  file=sys.stderr)
            for chunk in mic_chunks(device):
                for h in listener.process(chunk):
                    emit(h)
                    if h.accepted or h.rejected:
                        play("accept" if h.accepted else "reject")
    except AudioError as e:
        raise CliError(str(e)) from None
    finally:
        if args.json:
            json.dump(out, sys.stdout, ensure_ascii=False)
            sys.stdout.write("\n")
    return 0


def _earcon_player():
    """Play a confirmation chime if there is a speaker; stay silent if there is none."""
    def play(kind: str) -> None:
        try:
            import sounddevice as sd

            from coach.voice.earcon import earcon
        except (ImportError, OSError) as e:  # no sounddevice, or no PortAudio library: no chime
            log.debug("no earcon: %s", e)
            return
        try:
            sd.play(earcon(kind), 22050)
        except (sd.PortAudioError, ValueError) as e:  # no (default) output device: no chime
            log.debug("no earcon: %s", e)
    return play
