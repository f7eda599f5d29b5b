"""The one exception type a user ever sees: its message says what went wrong and what to do."""


class TickerlakeError(Exception):
    """A failure the user can act on. The CLI prints its message on one line and exits 1;
    the app shows it in an `st.warning`. Never carries a secret."""
