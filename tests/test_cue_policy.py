"""The cue policy on recorded event sequences, and the speech arbiter."""

from __future__ import annotations

import pytest

from coach.core.cue_policy import CuePolicy, cues_for
from coach.core.cues import CUES_ROOT, load_cues
from coach.core.policy_config import PolicyConfig, load_policy_config
from coach.core.speech_queue import DROP, PLAY, PREEMPT, WAIT, SpeechQueue
from coach.core.events import (Cue, Fault, FaultFound, Paused, PoseFound, PoseLost, RepCounted,
                          RepJudged, RepRecorded, RestEnded, RestStarted, Resumed, SetEnded,
                          SetStarted)

LIB = load_cues(CUES_ROOT / "en")


def rep_events(rep: int, faults: list[str] = (), severity: str = "moderate", period: float = 4.0,
               judged: bool = True) -> list[object]:
    """One top-start rep: faults found during the lowering, count and verdict at the top."""
    start = rep * period
    found = [FaultFound(start + 1.0 + 0.1 * i, rep, Fault(f, "lowering", severity))
             for i, f in enumerate(faults)]
    end = start + 3.0
    return [*found, RepCounted(end, rep, start, end),
            RepJudged(end, rep, judged, tuple(Fault(f, "lowering", severity) for f in faults))]


def run(reps: dict[int, list[str]] | list[list[str]], config: PolicyConfig | None = None,
        exercise: str = "romanian_deadlift", **kw) -> list[Cue]:
    items = reps.items() if isinstance(reps, dict) else enumerate(reps, start=1)
    events = [e for rep, faults in items for e in rep_events(rep, faults, **kw)]
    return cues_for(events, LIB, config or PolicyConfig(), exercise)


def corrections(cues: list[Cue]) -> list[Cue]:
    return [c for c in cues if c.kind == "correction"]


def test_one_correction_per_rep_and_the_most_important_first():
    cues = run([["incomplete_lockout", "spine_rounding", "knee_dominant"]])
    fixes = corrections(cues)
    assert len(fixes) == 1
    # found first, but style: the safety fault found 0.1 s later in the same rep does not get a
    # second correction; the rep's one correction is the first found
    assert fixes[0].fault == "incomplete_lockout"


def test_simultaneous_faults_cue_the_safety_fault():
    events = [FaultFound(1.0, 1, Fault("knee_dominant", "bottom", "moderate")),
              FaultFound(1.0, 1, Fault("spine_rounding", "bottom", "moderate")),
              FaultFound(1.0, 1, Fault("balance", "bottom", "moderate"))]
    fixes = corrections(cues_for(events, LIB))
    assert [c.fault for c in fixes] == ["spine_rounding"]
    assert fixes[0].priority > PolicyConfig().priority("correction")


def test_correction_is_said_when_the_fault_is_found_not_later():
    cues = run({1: ["rushed_lowering"]})
    (fix,) = corrections(cues)
    assert fix.t == pytest.approx(5.0)  # during rep 1's lowering, before its count at 7.0
    assert fix.rep == 1 and "lowering" in fix.text.lower()


def test_cooldown_then_escalation_then_lower_the_load():
    cues = run([["spine_rounding"]] * 7)
    fixes = corrections(cues)
    assert [c.rep for c in fixes] == [1, 3, 5, 7]  # not every rep
    keys = [c.key for c in fixes]
    assert keys[:3] == ["fault.spine_rounding.long", "fault.spine_rounding.escalate",
                        "fault.spine_rounding.lower_load"]
    assert len({c.text for c in fixes[:3]}) == 3  # a different wording each time
    assert "lower the load" in fixes[2].text.lower()
    assert any(c.key == "safety.form_before_load" for c in cues)


def test_no_lower_the_load_for_the_unloaded_drill():
    fixes = corrections(run([["knee_dominant"]] * 7, exercise="hip_hinge_drill"))
    assert "fault.knee_dominant.lower_load" not in [c.key for c in fixes]


def test_praise_when_a_cued_fault_is_fixed_and_a_new_streak_starts_fresh():
    cues = run([["knee_dominant"], ["knee_dominant"], [], [], ["knee_dominant"]])
    praise = [c for c in cues if c.kind == "praise"]
    assert [(c.rep, c.key) for c in praise] == [(3, "fault.knee_dominant.praise")]
    fixes = corrections(cues)
    assert [c.rep for c in fixes] == [1, 5]
    assert fixes[1].key == "fault.knee_dominant.short"  # known cue, new streak: not escalated


def test_no_praise_for_a_fault_never_cued_or_on_an_unjudged_rep():
    cfg = PolicyConfig(min_severity="severe")
    assert not [c for c in run([["balance"], []], cfg) if c.kind == "praise"]
    events = rep_events(1, ["balance"]) + rep_events(2, [], judged=False)
    assert not [c for c in cues_for(events, LIB) if c.kind == "praise"]


@pytest.mark.parametrize("every, expected", [(1, [1, 2, 3, 4, 5, 6]), (5, [5]), (0, [])])
def test_counts_are_configurable(every: int, expected: list[int]):
    cues = run([[]] * 6, PolicyConfig(count_every=every))
    assert [c.rep for c in cues if c.kind == "count"] == expected


def test_countdown_near_the_target_and_set_summary():
    events: list[object] = [SetStarted(0.0, 2, "deadlift", target_reps=8)]
    for rep in range(1, 9):
        reps = rep_events(rep, ["spine_rounding"] if rep in (3, 6) else [])
        counted = reps[-2]  # the session records each counted rep as the set's n-th
        events += reps[:-1] + [RepRecorded(counted.t, "deadlift", 2, rep, counted.start, counted.end)]
        events.append(reps[-1])
    events.append(SetEnded(40.0, 2, "deadlift", 8, {"spine_rounding": 2}, 90.0))
    events.append(RestStarted(40.0, 90.0))
    cues = cues_for(events, LIB)
    counts = [c.text for c in cues if c.kind == "count" or c.key == "count.target_reached"]
    assert counts[:5] == ["1.", "2.", "3.", "4.", "5. 3 more."]
    assert counts[5].startswith("6. 2 ") and counts[6].startswith("7. Last")
    assert counts[7] == "8. That's the set."
    start = cues[0]
    assert start.kind == "set" and "Set 2" in start.text and "Deadlift" in start.text and "8 reps" in start.text
    summary = [c for c in cues if c.key == "set.summary"]
    assert summary[0].text == "Set 2 done: 8 reps, 2 with a rounded back. Rest 90 seconds."
    assert not [c for c in cues if c.key == "set.rest"]  # the summary already said it


def test_safety_notes_at_their_moments():
    cues = cues_for([SetStarted(0.0, 1, "deadlift"), SetEnded(9.0, 1, "deadlift", 4, {"balance": 3}),
                     SetStarted(99.0, 2, "deadlift")], LIB)
    keys = [c.key for c in cues]
    # the notes lead the set-start cue, so they never hold back the first count
    assert cues[0].key == "set.start" and cues[0].text.startswith("Remember: form before load.")
    (summary,) = [c for c in cues if c.key == "set.summary"]  # "see a physio" follows it, in one breath
    assert summary.text.endswith(LIB.render("safety.see_physio")) and "safety.see_physio" not in keys
    assert cues[-1].key == "set.start" and "If anything hurts" in cues[-1].text


def test_session_counts_come_from_the_set_not_the_trace():
    events = [RepCounted(3.0, 7, 1.0, 3.0), SetStarted(3.0, 1, "squat"),
              RepRecorded(3.0, "squat", 1, 1, 1.0, 3.0)]
    # counted once, not twice, even though both the analysis and the session report the rep
    assert len([c for c in cues_for(events, LIB) if c.kind == "count"]) == 1
    # once the session drives, the analysis' trace-wide numbering is never spoken
    events2 = [SetStarted(0.0, 1, "squat"), RepCounted(3.0, 7, 1.0, 3.0),
               RepRecorded(3.0, "squat", 1, 1, 1.0, 3.0)]
    assert [c.text for c in cues_for(events2, LIB) if c.kind == "count"] == ["1."]


def test_pause_silences_coaching_and_person_lost_is_said_once():
    events = [Paused(0.5), *rep_events(1, ["balance"]), Resumed(8.0),
              PoseLost(9.0), PoseFound(9.5), PoseLost(10.0), PoseFound(12.0)]
    cues = cues_for(events, LIB)
    assert [c.key for c in cues] == ["system.paused", "system.resumed", "system.person_lost",
                                     "system.person_back"]
    assert not [c for c in cues if c.kind in ("correction", "count")]
    assert [c.key for c in cues].count("system.person_lost") == 1


def test_no_person_lost_during_rest_and_rest_countdown():
    policy = CuePolicy(LIB)
    assert policy.feed([RestStarted(0.0, 60.0)])
    assert policy.feed([PoseLost(5.0)]) == []
    assert policy.tick(30.0) == []
    (left,) = policy.tick(51.0)
    assert left.text == "9 seconds left."
    assert policy.tick(52.0) == []
    (over,) = policy.feed([RestEnded(60.0)])
    assert over.key == "rest.over"


def test_shipped_policy_file_matches_the_defaults():
    assert load_policy_config() == PolicyConfig()


# --- the arbiter ---

def cue(t: float, kind: str, text: str = "") -> Cue:
    return Cue(t, text or f"{kind}@{t}", kind, PolicyConfig().priority(kind))


def test_a_safety_cue_waits_for_a_count_being_said_and_a_count_cuts_a_safety_cue():
    q = SpeechQueue()
    assert q.offer(cue(0.0, "count"), 0.0) == PLAY
    assert q.offer(cue(0.1, "safety", "Stop. Reset your back."), 0.1) == WAIT  # the number first
    assert q.finished(0.4).kind == "safety"
    assert q.offer(cue(1.0, "count"), 1.0, said_share=0.2) == PREEMPT  # the next number: now
    assert q.finished(1.3).text == "Reset your back."  # and the rest of the safety message after it


def test_a_correction_never_cuts_a_count_it_plays_after_it():
    q = SpeechQueue()
    q.offer(cue(0.0, "count"), 0.0)
    assert q.offer(cue(0.0, "correction"), 0.0) == WAIT
    assert q.finished(0.5).kind == "correction"
    q2 = SpeechQueue()
    q2.offer(cue(0.0, "count"), 0.0)
    assert q2.offer(cue(1.0, "correction"), 1.0) == WAIT  # not even a long one


def test_a_count_cuts_a_sentence_and_the_sentence_is_said_after_it_from_where_it_was_cut():
    q = SpeechQueue()
    q.offer(cue(0.0, "set", "Remember: form before load. Set 1. Deadlift. Go when you're ready."), 0.0)
    assert q.offer(cue(1.5, "count", "1."), 1.5, said_share=0.5) == PREEMPT
    rest = q.finished(1.9)
    assert rest.text == "Deadlift. Go when you're ready." and rest.kind == "set"  # not said twice
    q.finished(3.0)
    q.offer(cue(4.0, "set", "Set 2. Go."), 4.0)
    q.offer(cue(4.5, "count", "1."), 4.5, said_share=0.95)
    assert q.finished(5.0) is None  # it was nearly done: nothing is repeated


def test_a_waiting_cue_goes_stale_after_two_seconds_and_counts_replace_older_counts():
    q = SpeechQueue()
    q.offer(cue(0.0, "count", "1."), 0.0)
    assert q.offer(cue(0.2, "count", "2."), 0.2) == WAIT  # a number is never cut
    assert q.offer(cue(0.4, "count", "3."), 0.4) == WAIT
    assert [c.text for c in q.dropped] == ["2."]  # the newer number replaces it
    assert q.finished(0.6).text == "3."
    q.finished(1.0)
    q.offer(cue(10.0, "correction", "Keep your back flat."), 10.0)
    q.offer(cue(10.1, "set", "Set 1 done."), 10.1)
    assert q.finished(12.2) is None  # the set cue would come 2.1 s late: dropped


def test_a_correction_a_rep_late_is_dropped_not_said_again():
    q = SpeechQueue()
    q.offer(Cue(0.2, "Hips back, not the knees.", "correction", PolicyConfig().priority("correction"), "c", 1), 0.2)
    q.offer(Cue(0.3, "Brace.", "correction", PolicyConfig().priority("correction"), "c2", 2), 0.3)  # waits
    # the next rep counts while rep 1's correction plays: it is cut, and not said again
    assert q.offer(Cue(1.0, "2.", "count", PolicyConfig().priority("count"), "count.rep", 2), 1.0, 0.3) == PREEMPT
    assert [w.text for w in q.waiting] == ["Brace."]  # rep 2's correction follows the count
    assert q.finished(1.4).text == "Brace." and q.finished(2.0) is None


def test_same_text_is_not_queued_twice():
    q = SpeechQueue()
    q.offer(cue(0.0, "system", "Paused."), 0.0)
    assert q.offer(cue(0.1, "system", "Paused."), 0.1) == DROP
    q.offer(cue(0.1, "set", "Set 1."), 0.1)
    assert q.offer(cue(0.2, "set", "Set 1."), 0.2) == DROP


def test_policy_output_never_overlaps_on_a_timeline():
    """Play a whole policy run through the queue with fixed durations: never two at once."""
    events: list[object] = [SetStarted(0.0, 1, "deadlift", target_reps=6)]
    for rep in range(1, 7):
        events += rep_events(rep, ["spine_rounding", "incomplete_lockout"] if rep % 2 else [],
                             period=2.0)
    cues = cues_for(events, LIB)
    q, playing_until, spans = SpeechQueue(), None, []
    for c in sorted(cues, key=lambda c: c.t):
        while playing_until is not None and playing_until <= c.t:
            nxt = q.finished(playing_until)
            if nxt is None:
                playing_until = None
            else:
                spans.append([playing_until, playing_until + 1.2, nxt])
                playing_until += 1.2
        d = q.offer(c, c.t)
        if d in (PLAY, PREEMPT):
            if spans and spans[-1][1] > c.t:
                spans[-1][1] = c.t  # cut
            spans.append([c.t, c.t + 1.2, c])
            playing_until = c.t + 1.2
    for (a0, a1, _), (b0, _, _) in zip(spans, spans[1:]):
        assert a1 <= b0 + 1e-9
    assert any(s[2].kind == "correction" for s in spans)


def test_voice_commands_change_counting_and_are_confirmed():
    from coach.core.commands import CountEvery, Louder, QuietMode, Repeat
    from coach.core.events import CommandHeard

    policy = CuePolicy(LIB)
    (c,) = policy.feed([CommandHeard(0.0, CountEvery(5), "count every five")])
    assert c.text == "Counting every 5 reps." and c.kind == "confirm"
    said = [cue for rep in range(1, 11) for cue in policy.feed(rep_events(rep, []))]
    assert [cue.rep for cue in said if cue.kind == "count"] == [5, 10]
    (again,) = policy.feed([CommandHeard(50.0, Repeat(), "say again")])
    assert again.text == "Counting every 5 reps."
    assert policy.feed([CommandHeard(51.0, Louder(), "louder")])[0].key == "confirm.louder"
    policy.feed([CommandHeard(52.0, QuietMode(), "quiet")])
    assert not [cue for cue in policy.feed(rep_events(15, [])) if cue.kind == "count"]


def test_a_batch_keeps_its_order_except_faults_ranked_among_themselves():
    policy = CuePolicy(LIB)
    batch = [Paused(1.0), FaultFound(1.0, 1, Fault("knee_dominant", "bottom", "moderate")),
             FaultFound(1.0, 1, Fault("balance", "bottom", "moderate"))]
    assert [c.key for c in policy.feed(batch)] == ["system.paused"]  # paused first: no correction


def test_a_fault_reported_reps_late_is_not_cued():
    events = rep_events(1, []) + rep_events(2, []) + rep_events(3, [])
    events.append(FaultFound(14.0, 1, Fault("balance", "bottom", "moderate")))
    assert not corrections(cues_for(events, LIB))


def test_no_praise_after_the_set_and_the_workout_ends_after_the_summary():
    from coach.core.events import WorkoutFinished

    events = [SetStarted(0.0, 1, "deadlift"), *rep_events(1, ["knee_dominant"]),
              SetEnded(9.0, 1, "deadlift", 1, {"knee_dominant": 1}), RepJudged(9.5, 2, True, ()),
              SetEnded(20.0, 2, "deadlift", 3, {}), WorkoutFinished(20.0, 2, 4)]
    cues = cues_for(events, LIB)
    assert not [c for c in cues if c.kind == "praise"]
    (last,) = [c for c in cues if c.t == 20.0]  # the summary, then the goodbye, in one cue
    assert last.key == "set.summary_clean" and last.text.endswith(LIB.render("system.session_end", sets="2 sets",
                                                                             reps="4 reps"))


def test_a_new_set_starts_fault_streaks_afresh():
    events = [SetStarted(0.0, 1, "deadlift"), *rep_events(1, ["balance"]), *rep_events(2, ["balance"]),
              SetEnded(12.0, 1, "deadlift", 2, {"balance": 2}), SetStarted(13.0, 2, "deadlift"),
              *rep_events(4, ["balance"])]
    fixes = corrections(cues_for(events, LIB))
    assert [(c.rep, c.key) for c in fixes] == [(1, "fault.balance.long"), (4, "fault.balance.short")]


def test_a_mild_one_off_is_not_cued_but_a_mild_repeat_is():
    events = (rep_events(1, ["lockout_lean_back"], severity="mild")
              + rep_events(2, [], severity="mild")
              + rep_events(3, ["lockout_lean_back"], severity="mild")
              + rep_events(4, ["lockout_lean_back"], severity="mild"))
    assert [c.rep for c in corrections(cues_for(events, LIB))] == [4]
    assert [c.rep for c in corrections(cues_for(rep_events(1, ["balance"], severity="moderate"), LIB))] == [1]
    loose = PolicyConfig(mild_needs_repeat=False)
    assert [c.rep for c in corrections(cues_for(events, LIB, loose))] == [1, 3]


def test_a_count_cuts_a_correction_and_the_fresh_count_goes_before_waiting_cues():
    q = SpeechQueue()
    q.offer(cue(0.0, "correction", "Keep your back flat."), 0.0)
    assert q.offer(cue(1.0, "correction", "Knees back."), 1.0) == WAIT  # corrections never cut corrections
    assert q.offer(cue(1.0, "count", "2."), 1.0, said_share=0.9) == PREEMPT
    assert q.finished(1.4).text == "Knees back."
    q.finished(2.0)
    q.offer(cue(2.2, "count", "3."), 2.2)
    q.offer(cue(2.3, "set", "Set 1 done."), 2.3)
    q.offer(cue(2.4, "count", "4."), 2.4)  # waits: "3." is still being said
    assert q.finished(2.6).text == "4."  # the fresh count first, then the rest
    assert q.finished(3.0).text == "Set 1 done."


def test_style_corrections_leave_a_rep_between_them_safety_does_not_wait():
    style = corrections(run([["knee_dominant"], ["incomplete_lockout"], ["lockout_lean_back"]]))
    assert [(c.rep, c.fault) for c in style] == [(1, "knee_dominant"), (3, "lockout_lean_back")]
    safety = corrections(run([["knee_dominant"], ["balance"]]))
    assert [(c.rep, c.fault) for c in safety] == [(1, "knee_dominant"), (2, "balance")]
