"""The USCC validator: real-shaped codes pass, every single-character change fails."""
import pytest

from registry.firms.uscc import (
    CHARSET, InvalidUSCC, is_valid_uscc, make_uscc, normalise_uscc, validate_uscc,
)

# Real-shaped codes: the GB 32100 example, and sample-file codes (all-digit, MA-prefixed, X at 17).
VALID = [
    "91350100M000100Y43",
    "91330201770277639R",
    "913302820454251419",
    "9133028207078578XK",
    "91330282145311192M",
    "913302827538474177",
]


@pytest.mark.parametrize("code", VALID)
def test_real_shaped_codes_pass(code):
    assert validate_uscc(code) == code


def test_ma_organisation_codes_pass():
    code = make_uscc("91330282", "MA28ABCD")
    assert validate_uscc(code) == code


@pytest.mark.parametrize("code", VALID)
def test_every_single_character_change_fails(code):
    alphabet = CHARSET + "IOSVZ"
    changed = 0
    for pos in range(18):
        for ch in alphabet:
            if ch == code[pos]:
                continue
            mutated = code[:pos] + ch + code[pos + 1:]
            assert not is_valid_uscc(mutated), f"{mutated} (pos {pos + 1}) must be rejected"
            changed += 1
    assert changed == 18 * (len(alphabet) - 1)


@pytest.mark.parametrize("raw", [" 9133028207078578xk ", "９１３３０２８２０７０７８５７８ＸＫ",
                                 "913302 8207078578XK"])
def test_normalises_what_people_type(raw):
    assert validate_uscc(raw) == "9133028207078578XK"


def test_message_names_position_18():
    with pytest.raises(InvalidUSCC) as err:
        validate_uscc("91330201392122743T")
    assert err.value.position == 18
    assert "第18位" in err.value.message


def test_message_names_position_17():
    good = "9133028207078578XK"
    bad = good[:16] + "5" + good[17:]
    with pytest.raises(InvalidUSCC) as err:
        validate_uscc(bad)
    assert err.value.position == 17
    assert "第17位" in err.value.message and "组织机构代码" in err.value.message


def test_wrong_length_says_so():
    with pytest.raises(InvalidUSCC) as err:
        validate_uscc("91330282742682653")
    assert "18位" in err.value.message and "17位" in err.value.message


@pytest.mark.parametrize("letter", list("IOSVZ"))
def test_forbidden_letters_name_their_position(letter):
    code = "9133028207078578XK"
    bad = code[:10] + letter + code[11:]
    with pytest.raises(InvalidUSCC) as err:
        validate_uscc(bad)
    assert err.value.position == 11
    assert f"第11位“{letter}”" in err.value.message


def test_empty_and_none():
    for raw in ("", None, "   "):
        with pytest.raises(InvalidUSCC, match="不能为空"):
            validate_uscc(raw)


def test_punctuation_is_not_a_character():
    with pytest.raises(InvalidUSCC, match="第9位"):
        validate_uscc("91330282-7078578XK")


def test_normalise_keeps_digits_as_text():
    assert normalise_uscc(913302820454251419) == "913302820454251419"
