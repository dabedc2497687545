"""The DfE 2024 code table (spec §1) and legacy codes."""

from __future__ import annotations

import pytest

from school.codes import (
    AEA_CODES,
    AUTHORISED_CODES,
    CODES,
    NATIONAL_THRESHOLD_CODES,
    POSSIBLE_CODES,
    PRESENT_CODES,
    UNAUTHORISED_CODES,
    UnknownCodeError,
    lookup,
)


def test_code_sets_match_spec_section_1() -> None:
    assert {"/", "\\", "L"} == PRESENT_CODES
    assert {"K", "V", "P", "W", "B"} == AEA_CODES
    assert {"C1", "M", "J1", "S", "C2", "C", "T", "R", "I", "E"} == AUTHORISED_CODES
    assert UNAUTHORISED_CODES == NATIONAL_THRESHOLD_CODES == {"G", "N", "O", "U"}
    not_possible = {"D", "X", "Q", "Y1", "Y2", "Y3", "Y4", "Y5", "Y6", "Y7", "Z", "#"}
    assert set(CODES) - POSSIBLE_CODES == not_possible
    assert len(CODES) == 34


def test_each_code_is_in_exactly_one_counting_class() -> None:
    for code in CODES.values():
        classes = [code.attendance, code.authorised, code.unauthorised]
        assert sum(classes) == (1 if code.possible else 0), code.code


@pytest.mark.parametrize(
    ("legacy", "replacement"), [("H", "use C"), ("J", "use J1"), ("Y", "Y1 to Y7"), ("F", "2013")]
)
def test_legacy_codes_say_what_replaced_them(legacy: str, replacement: str) -> None:
    with pytest.raises(UnknownCodeError, match=replacement):
        lookup(legacy)


def test_unknown_code() -> None:
    with pytest.raises(UnknownCodeError, match="unknown attendance code 'Q9'"):
        lookup("Q9")
