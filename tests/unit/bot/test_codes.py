"""Case codes and secrets: their shape, their alphabet, and every symbol drawn at every place."""

from __future__ import annotations

import re
from collections import Counter

from bot import codes


def test_a_case_code_and_a_secret_have_their_printed_shape_in_crockfords_alphabet():
    code, secret = codes.new_case_code(), codes.new_secret()
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", code)
    assert re.fullmatch(r"([0-9A-HJKMNP-TV-Z]{5}-){3}[0-9A-HJKMNP-TV-Z]{5}", secret)
    # typed back in lower case, with spaces, it reads as itself
    assert codes.format_code(code.lower().replace("-", " ")) == code
    assert codes.normalise(secret.lower()) == secret.replace("-", "")


def test_every_symbol_comes_up_at_every_place_about_equally():
    draws = [codes.new_case_code().replace("-", "") for _ in range(16_000)]
    assert len(set(draws)) == len(draws)  # 40 bits: a repeat here would be a broken source
    for place in range(8):
        seen = Counter(d[place] for d in draws)
        assert set(seen) == set(codes.ALPHABET)
        # 500 expected each; a fixed or biased place (a bit always 0) would fall far outside
        assert 350 < min(seen.values()) and max(seen.values()) < 650, (place, seen)
