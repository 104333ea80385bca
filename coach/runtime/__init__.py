"""Wiring: threads and queues between the adapters and the pure core (runner.Runtime)."""
