"""Fault checks (filled in by the form-fault work): each judged in the phase where it shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

from .events import Fault
from .exercises import Exercise
from .features import Features
from .reps import Rep


@dataclass(frozen=True)
class Verdict:
    judged: bool
    faults: tuple[Fault, ...]
    late_faults: tuple[Fault, ...] = ()  # found only at the verdict (not already announced)
    not_judged: Mapping[str, str] = field(default_factory=dict)


class FaultJudge:
    def __init__(self, exercise: Exercise):
        self.ex = exercise

    def at_count(self, rep: Rep, history: Iterable[Features]) -> list[Fault]:
        return []

    def ready(self, rep: Rep, now: float) -> bool:
        return True

    def verdict(self, rep: Rep, history: Iterable[Features], reps: list[Rep]) -> Verdict:
        return Verdict(True, ())
