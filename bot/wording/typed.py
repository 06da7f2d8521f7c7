"""What a person types, beside what they read: the words the typed conversation understands at
each step (lower case, spaces collapsed). A button's value is not here: it is `bot.actions`'."""

from __future__ import annotations

# Typed alone in a direct message: the start of a report.
START = frozenset({"report", "i have a concern", "concern", "new report", "report a concern"})

# Anywhere in the typed report.
CANCEL = "cancel"
HELP = "help"
BACK = "back"
SKIP = "skip"

# An optional answer left out.
SKIPPED = frozenset({SKIP, "none", "n/a", "na", "-", "no", "nobody", "nothing", "unknown",
                     "don't know"})
# "Does anyone else already know?" answered no (an answer, not a skip).
NOBODY_ELSE = frozenset({"no", "nobody", "no one", "none", "no-one"})
# The members kept away, chosen: done.
DONE = frozenset({"done", "none", "no", "no one", SKIP})
# With a name, or anonymously.
NAMED = frozenset({"named", "with my name", "name"})
ANONYMOUS = frozenset({"anonymous", "anonymously", "anon"})
# The review: send it.
SUBMIT = frozenset({"submit", "send", "yes"})
