"""The one base for problems a user can fix: said in one sentence (CLI: on stderr, exit code 2;
live session: spoken), never as a traceback. Each module raises its own subclass, named for what
broke (a trace, an exercise file, the microphone), so a caller can catch just what it can handle.
"""


class CoachError(Exception):
    """A problem with the user's input, files or machine; str() is the sentence to tell them."""


class CliError(CoachError):
    """A command-line argument or combination that cannot be used."""


class DeviceMissing(CoachError):
    """A camera, microphone or speaker that cannot be used."""
