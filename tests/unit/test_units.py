"""Unit strings -> SI floats (hwsim.units). Expected values are worked out by hand."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hwsim.units import OPS_PER_MAC, Dimension, UnitError, format_quantity, parse_quantity

D = Dimension


@pytest.mark.parametrize(
    ("text", "dim", "expected"),
    [
        # bytes: SI prefixes are decimal, IEC prefixes binary
        ("512 B", D.BYTES, 512.0),
        ("1 kB", D.BYTES, 1e3),
        ("1 MB", D.BYTES, 1e6),
        ("80 GB", D.BYTES, 80e9),
        ("320 KiB", D.BYTES, 320 * 1024.0),
        ("2 MiB", D.BYTES, 2 * 1024.0**2),
        ("80 GiB", D.BYTES, 80 * 1024.0**3),
        ("41943040 B", D.BYTES, 41943040.0),
        ("128bytes", D.BYTES, 128.0),
        # bits are an eighth of a byte
        ("8 Mbit", D.BYTES, 1e6),
        ("16 b", D.BYTES, 2.0),
        ("64 bits", D.BYTES, 8.0),
        # rates are decimal
        ("68 GB/s", D.BYTES_PER_S, 68e9),
        ("2039 GB/s", D.BYTES_PER_S, 2.039e12),
        ("3.35 TB/s", D.BYTES_PER_S, 3.35e12),
        ("8 Gbit/s", D.BYTES_PER_S, 1e9),
        ("500 MB/s", D.BYTES_PER_S, 5e8),
        # frequency, time, energy, power
        ("1.41 GHz", D.HERTZ, 1.41e9),
        ("216 MHz", D.HERTZ, 216e6),
        ("5 us", D.SECONDS, 5e-6),
        ("5 µs", D.SECONDS, 5e-6),
        ("100 ns", D.SECONDS, 1e-7),
        ("2 ms", D.SECONDS, 2e-3),
        ("1 mJ", D.JOULES, 1e-3),
        ("3 uJ", D.JOULES, 3e-6),
        ("400 W", D.WATTS, 400.0),
        ("50 mW", D.WATTS, 0.05),
        # throughput: TOPS/FLOPS count operations, a MAC is two of them
        ("4 TOPS", D.OPS_PER_S, 4e12),
        ("312 TFLOPS", D.OPS_PER_S, 312e12),
        ("19.5 TFLOP/s", D.OPS_PER_S, 19.5e12),
        ("5 Gop/s", D.OPS_PER_S, 5e9),
        ("432 MAC/s", D.OPS_PER_S, 864.0),
        ("1.024 TMAC/s", D.OPS_PER_S, 2.048e12),
        ("33.6 GMAC/s", D.OPS_PER_S, 67.2e9),
        # energy per operation: pJ/MAC is half a pJ per op
        ("0.6 pJ/op", D.JOULES_PER_OP, 0.6e-12),
        ("0.9 pJ/FLOP", D.JOULES_PER_OP, 0.9e-12),
        ("0.04 pJ/MAC", D.JOULES_PER_OP, 0.02e-12),
        ("4.6 pJ/MAC", D.JOULES_PER_OP, 2.3e-12),
        # energy per byte: a pJ/bit is 8 pJ/B
        ("20 pJ/B", D.JOULES_PER_BYTE, 20e-12),
        ("2.5 pJ/bit", D.JOULES_PER_BYTE, 20e-12),
        ("4 pJ/b", D.JOULES_PER_BYTE, 32e-12),
        ("1.5 nJ/byte", D.JOULES_PER_BYTE, 1.5e-9),
        # number formats
        ("1e3 B", D.BYTES, 1e3),
        (".5 W", D.WATTS, 0.5),
        ("  7.25pJ/bit ", D.JOULES_PER_BYTE, 58e-12),
    ],
)
def test_parse_each_dimension(text: str, dim: Dimension, expected: float) -> None:
    assert parse_quantity(text, dim) == pytest.approx(expected, rel=1e-12)


def test_one_mac_is_two_ops() -> None:
    assert OPS_PER_MAC == 2
    assert parse_quantity("1 MAC/s", D.OPS_PER_S) == 2 * parse_quantity("1 op/s", D.OPS_PER_S)
    assert parse_quantity("1 pJ/MAC", D.JOULES_PER_OP) == 0.5 * parse_quantity(
        "1 pJ/op", D.JOULES_PER_OP
    )


def test_zero_allowed_only_when_not_positive() -> None:
    assert parse_quantity("0 W", D.WATTS, positive=False) == 0.0
    assert parse_quantity("0 s", D.SECONDS, positive=False) == 0.0


@pytest.mark.parametrize(
    ("value", "dim", "must_mention"),
    [
        # bare numbers, as string or YAML number
        ("68", D.BYTES_PER_S, ["'68'", "bytes/s"]),
        (68, D.BYTES_PER_S, ["68", "bytes/s"]),
        (68.5, D.BYTES_PER_S, ["68.5", "bytes/s"]),
        (True, D.BYTES, ["True", "bytes"]),
        (None, D.WATTS, ["None", "W"]),
        # a capacity where a bandwidth is expected, and the other way round
        ("68 GB", D.BYTES_PER_S, ["'68 GB'", "bytes/s"]),
        ("68 GB/s", D.BYTES, ["'68 GB/s'", "bytes"]),
        ("4 TOPS", D.JOULES_PER_OP, ["'4 TOPS'", "J/op"]),
        ("1.2 GHz", D.SECONDS, ["'1.2 GHz'"]),
        # unknown units
        ("3 furlongs", D.BYTES, ["'3 furlongs'", "furlongs"]),
        ("5 GQ/s", D.BYTES_PER_S, ["GQ/s"]),
        ("five GB", D.BYTES, ["'five GB'"]),
        ("", D.BYTES, ["''"]),
        # binary prefixes only for sizes
        ("1 KiB/s", D.BYTES_PER_S, ["'1 KiB/s'", "binary prefixes"]),
        ("2 GiB/s", D.BYTES_PER_S, ["'2 GiB/s'", "decimal"]),
        ("1 Kipj/op", D.JOULES_PER_OP, ["Kipj/op"]),
    ],
)
def test_rejections_name_value_and_expectation(
    value: object, dim: Dimension, must_mention: list[str]
) -> None:
    with pytest.raises(UnitError) as info:
        parse_quantity(value, dim)  # type: ignore[arg-type]
    message = str(info.value)
    for piece in must_mention:
        assert piece in message
    assert "\n" not in message


@pytest.mark.parametrize("text", ["0 GB/s", "-5 GB/s", "-0.1 GB/s"])
def test_zero_and_negative_rejected_for_positive_fields(text: str) -> None:
    with pytest.raises(UnitError, match="positive") as info:
        parse_quantity(text, D.BYTES_PER_S)
    assert repr(text) in str(info.value)


def test_negative_rejected_for_non_negative_fields() -> None:
    with pytest.raises(UnitError, match="non-negative"):
        parse_quantity("-1 W", D.WATTS, positive=False)


def test_unit_error_is_a_value_error() -> None:
    # pydantic turns ValueErrors raised in validators into field errors.
    assert issubclass(UnitError, ValueError)


@pytest.mark.parametrize(
    ("value", "dim", "expected"),
    [
        (2.039e12, D.BYTES_PER_S, "2.039 TB/s"),
        (41943040.0, D.BYTES, "41.94 MB"),
        (312e12, D.OPS_PER_S, "312 TOPS"),
        (0.02e-12, D.JOULES_PER_OP, "20 fJ/op"),
        (1.41e9, D.HERTZ, "1.41 GHz"),
        (5e-6, D.SECONDS, "5 us"),
        (0.0, D.WATTS, "0 W"),
    ],
)
def test_format_quantity(value: float, dim: Dimension, expected: str) -> None:
    assert format_quantity(value, dim) == expected


# --- properties -------------------------------------------------------------------------

positive_values = st.floats(min_value=1e-20, max_value=1e20, allow_nan=False, allow_infinity=False)


@given(value=positive_values, dim=st.sampled_from(list(Dimension)), digits=st.integers(3, 10))
def test_format_parse_round_trip(value: float, dim: Dimension, digits: int) -> None:
    text = format_quantity(value, dim, digits=digits)
    # `digits` significant digits: relative rounding error at most half a unit in the last one.
    assert parse_quantity(text, dim) == pytest.approx(value, rel=10.0 ** (1 - digits))


SI_FACTORS = {"p": 1e-12, "n": 1e-9, "u": 1e-6, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}
IEC_FACTORS = {"Ki": 1024.0, "Mi": 1024.0**2, "Gi": 1024.0**3, "Ti": 1024.0**4}
moderate = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False, allow_infinity=False)


@given(x=moderate, prefix=st.sampled_from(sorted(SI_FACTORS)))
def test_si_prefix_scales_the_number(x: float, prefix: str) -> None:
    assert parse_quantity(f"{x!r} {prefix}W", D.WATTS) == pytest.approx(x * SI_FACTORS[prefix])
    if SI_FACTORS[prefix] >= 1:
        assert parse_quantity(f"{x!r} {prefix}B/s", D.BYTES_PER_S) == pytest.approx(
            x * SI_FACTORS[prefix]
        )
    else:  # a thousandth of a byte per second is no rate: "8 mB/s" meant MB/s
        with pytest.raises(UnitError, match="case-sensitive"):
            parse_quantity(f"{x!r} {prefix}B/s", D.BYTES_PER_S)


@pytest.mark.parametrize(
    ("text", "dim", "hint"),
    [
        ("2 mb", D.BYTES, "did you mean MB (bytes) or Mb (bits)?"),
        ("2 mB", D.BYTES, "did you mean MB?"),
        ("8 mB/s", D.BYTES_PER_S, "did you mean MB/s?"),
        ("8 mbps", D.BYTES_PER_S, "did you mean MB/s (bytes) or Mbps (bits)?"),
        ("3 pB", D.BYTES, "did you mean PB?"),
        ("1 nB", D.BYTES, "a fraction) of a byte"),
        ("1 ubit/s", D.BYTES_PER_S, "a fraction) of a bit"),
    ],
)
def test_sub_unit_prefixes_on_bytes_and_bits_are_errors(
    text: str, dim: Dimension, hint: str
) -> None:
    with pytest.raises(UnitError) as info:
        parse_quantity(text, dim)
    assert hint in str(info.value) and "case-sensitive" in str(info.value)


@given(x=moderate)
def test_k_means_thousand(x: float) -> None:
    assert parse_quantity(f"{x!r} kB", D.BYTES) == pytest.approx(x * 1000)
    assert parse_quantity(f"{x!r} kHz", D.HERTZ) == pytest.approx(x * 1000)


@given(x=moderate, prefix=st.sampled_from(sorted(IEC_FACTORS)))
def test_iec_prefix_scales_sizes_by_powers_of_1024(x: float, prefix: str) -> None:
    assert parse_quantity(f"{x!r} {prefix}B", D.BYTES) == pytest.approx(x * IEC_FACTORS[prefix])


@given(x=moderate, prefix=st.sampled_from(["", "k", "M", "G"]))
def test_bit_is_an_eighth_of_a_byte(x: float, prefix: str) -> None:
    as_bits = parse_quantity(f"{x!r} {prefix}bit", D.BYTES)
    as_bytes = parse_quantity(f"{x!r} {prefix}B", D.BYTES)
    assert as_bits * 8 == pytest.approx(as_bytes)
    rate_bits = parse_quantity(f"{x!r} {prefix}bit/s", D.BYTES_PER_S)
    assert rate_bits * 8 == pytest.approx(parse_quantity(f"{x!r} {prefix}B/s", D.BYTES_PER_S))
    # energy per bit is eight times the energy per byte
    per_bit = parse_quantity(f"{x!r} pJ/bit", D.JOULES_PER_BYTE)
    assert per_bit == pytest.approx(8 * parse_quantity(f"{x!r} pJ/B", D.JOULES_PER_BYTE))


@given(x=moderate)
def test_mac_rates_and_energies_convert_to_ops(x: float) -> None:
    assert parse_quantity(f"{x!r} GMAC/s", D.OPS_PER_S) == pytest.approx(2 * x * 1e9)
    assert parse_quantity(f"{x!r} pJ/MAC", D.JOULES_PER_OP) == pytest.approx(x * 1e-12 / 2)
