"""The labels and headings of a case as a reader sees it: the committee's details, the case file
an export writes and the reporter's own view (bot/views/case.py renders all three from these, so
their wording cannot drift apart).
"""

from __future__ import annotations

STATUS, CATEGORY, RECEIVED, REPORTER = "Status", "Category", "Received", "Reporter"
REPORT_FIELDS = (("what", "What happened"), ("who", "People involved"), ("when", "When"),
                 ("evidence", "Evidence"), ("known", "Already known to"))
NOT_GIVEN = "Not given"
ANONYMOUS = "Anonymous"
KEPT_AWAY = "Kept away from this case (visible to the chair only)"
NO_ONE = "No one"
HISTORY = "History"
DETERMINATION_RECORDED = "Board determination recorded"
UNKNOWN = "unknown"  # a person no longer on the roster
