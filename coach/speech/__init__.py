"""Speech output: text-to-speech engines behind one interface, a cache of rendered cues, a
non-blocking speaker, and a WAV sink that renders a session's cues on the trace's timeline.

Import the pieces from their modules (`coach.speech.engine`, `.cache`, `.speaker`, `.wav_sink`);
this package imports nothing heavy so `import coach.speech` is cheap."""
