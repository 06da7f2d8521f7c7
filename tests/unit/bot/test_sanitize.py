"""`neutralise`: whatever a reporter types, what a member reads carries no mention, link, bare
domain that a platform would turn into a link, or Unicode direction override."""

from __future__ import annotations

import re

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from bot.sanitize import DIRECTION_CONTROLS, ZWSP, neutralise

# Text biased toward what matters here: domains, URLs, mentions and direction controls mixed in.
PIECES = st.sampled_from(["example.com", "pay.evil.io", "www.", "https://", "mailto:", "@here", "<!channel>",
                          ".", "..", "a.b", "x.co.uk", "3.14", "\u202e", "\u2066", "\u202a", "\u2069", "\u200f",
                          "пример.рф", "](", " ", "\n"])
TEXT = st.lists(st.one_of(PIECES, st.text(max_size=8)), max_size=30).map("".join)
LINKABLE_DOMAIN = re.compile(r"\w\.[^\W\d_]{2}")


@settings(deadline=None)  # no timing in tests: a loaded machine must not fail them
@given(TEXT)
def test_no_direction_override_survives(text: str) -> None:
    assert not set(neutralise(text)) & DIRECTION_CONTROLS


@settings(deadline=None)  # no timing in tests: a loaded machine must not fail them
@given(TEXT)
@example("www.A\x00A")  # a NUL between two halves of a domain, once dropped after the check
def test_no_bare_domain_url_or_mention_survives(text: str) -> None:
    out = neutralise(text)
    assert not LINKABLE_DOMAIN.search(out)
    assert "://" not in out and "<" not in out and ">" not in out
    assert not re.search(r"@(here|channel|everyone)", out)


@settings(deadline=None)  # no timing in tests: a loaded machine must not fail them
@given(TEXT)
def test_the_words_are_all_still_there(text: str) -> None:
    assume("[.]" not in text and "\u2039" not in text and "\u203a" not in text)
    # Undo the visible defanging: what is left is the text without its direction controls.
    out = neutralise(text).replace(ZWSP, "").replace("[.]", ".").replace("\u2039", "<").replace("\u203a", ">")
    expected = "".join(ch for ch in text if ch not in DIRECTION_CONTROLS and ch != "\x00")
    assert out == expected.replace(ZWSP, "")


def test_a_domain_reads_as_quoted_and_plain_sentences_are_untouched() -> None:
    assert neutralise("Wire it to pay.evil.io today") == "Wire it to pay[.]evil[.]io today"
    assert neutralise("Paid 3.14 million, e.g. twice. Then stopped.") == "Paid 3.14 million, e.g. twice. Then stopped."
    # "fdp.exe" written with a right-to-left override reads "exe.pdf" on screen; here it reads as typed
    assert neutralise("invoice\u202efdp.exe") == "invoice" + "fdp[.]exe"
