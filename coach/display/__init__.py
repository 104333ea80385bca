"""The station's own web page (read-only): the live board pushed as server-sent events, and the
history of past sessions. coach.display.server is the adapter; what it shows is coach.core.board."""
