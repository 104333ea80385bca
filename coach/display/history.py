"""The display's history page: the session logs of a folder, read per request (off the event
loop) and drawn by coach.io.report_html."""

from __future__ import annotations

from collections.abc import Callable

# A station that has run for months has hundreds of logs; the page shows the newest ones.
NEWEST = 60


def history_page(log_dir: str, newest: int = NEWEST) -> Callable[[], str]:
    """A function that returns the history page's HTML as the logs in `log_dir` are now."""
    def render() -> str:
        from coach.io.log import LogError, load_session, session_paths
        from coach.io.report_html import history_html
        sessions = []
        for path in session_paths(log_dir)[-newest:]:
            try:
                sessions.append(load_session(path))
            except LogError:  # not a session log (coach history names such files)
                continue
        return history_html(sessions)
    return render
