"""Joint stack fits and cross-validation, on toy chips whose latencies are known by hand.

Two chips, ``toy`` and ``toy2`` (the same numbers, another name), share the profile ``slow``
(efficiency 0.8 of peak). Every row is a compute-bound GEMM (conftest: 512x1024x1024 at
1 TFLOPS fp16 is 1.073741824 ms at efficiency 1), so its latency is 1.0737 ms / e when the
chip really runs at efficiency e, and ln(latency) moves by -1 per unit of ln(e).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from hwsim.cli import app
from hwsim.validation.crossval import cross_validate
from hwsim.validation.joint import StackError, max_parameters, read_stacks
from tests.unit.validation.conftest import TOY, write_csv

SHAPES = {"g1": (512, 1024, 1024), "g2": (256, 2048, 512), "g3": (1024, 512, 2048)}
LAYER = """
schema_version: 1
name: {name}
input: {{shape: [{m}, {k}], dtype: fp16}}
layers:
  - {{op: linear, out_features: {n}, bias: false}}
"""


def _ms(shape: tuple[int, int, int], eff: float) -> float:
    m, k, n = shape
    return 2 * m * k * n / 1e12 / eff * 1e3


def _rows(folder: Path, truth: dict[str, float]) -> Path:
    """Three GEMM rows per chip, measured on a chip that really runs at ``truth[chip]``."""
    (folder / "toy2.yaml").write_text(TOY.replace("name: toy\n", "name: toy2\n"))
    lines = []
    for name, shape in SHAPES.items():
        (folder / f"{name}.yaml").write_text(
            LAYER.format(name=name, m=shape[0], k=shape[1], n=shape[2])
        )
        for chip, eff in truth.items():
            lines.append(
                f"{name}-{chip},toy,{name}.yaml,{chip}.yaml,slow,,,,,latency_ms,"
                f"{_ms(shape, eff)!r},,,"
            )
    return write_csv(folder, "\n".join(lines) + "\n")


def _ratios(cv: object, scheme: str) -> dict[str, float]:
    rep = cv.reports[scheme]  # type: ignore[attr-defined]
    return {r.measurement.id: r.ratio for r in rep.rows if r.ok}


def test_max_parameters_by_hand() -> None:
    # one per 3 rows, at least 1, at most 4
    assert [max_parameters(n) for n in (0, 1, 2, 3, 5, 6, 9, 12, 40)] == [0, 1, 1, 1, 1, 2, 3, 4, 4]


def test_a_shared_factor_transfers_to_a_chip_left_out(toy_dir: Path) -> None:
    csv = _rows(toy_dir, {"toy": 0.5, "toy2": 0.5})
    cv = cross_validate(csv)
    fit = cv.fits["slow"]
    assert {c for c, _ in fit.members} == {"toy", "toy2"}
    assert fit.rows and len(fit.rows) == 6
    assert not fit.exactly_determined and fit.dof == len(fit.rows) - len(fit.names)
    # the shared compute scale is 0.5 / 0.8 of the prior
    assert fit.multipliers()["compute_scale"] == pytest.approx(0.625, rel=1e-3)
    for scheme in ("in_sample", "leave_one_out", "leave_one_chip_out"):
        for rid, ratio in _ratios(cv, scheme).items():
            assert ratio == pytest.approx(1.0, rel=2e-3), (scheme, rid)


def test_a_chip_that_differs_shows_up_only_when_left_out(toy_dir: Path) -> None:
    # toy really runs at 0.5 and toy2 at 0.3 of peak: fitted together, a chip term takes the
    # difference; predicted from the other chip alone, toy's latency is 0.5/0.3 = 1.667x too
    # long and toy2's 0.3/0.5 = 0.6 of the measured one.
    csv = _rows(toy_dir, {"toy": 0.5, "toy2": 0.3})
    cv = cross_validate(csv)
    fit = cv.fits["slow"]
    assert len(fit.names) == 2 and any(n.startswith("compute_scale@") for n in fit.names)
    for rid, ratio in _ratios(cv, "in_sample").items():
        assert ratio == pytest.approx(1.0, rel=2e-3), rid
    for rid, ratio in _ratios(cv, "leave_one_out").items():
        assert ratio == pytest.approx(1.0, rel=2e-3), rid
    loco = _ratios(cv, "leave_one_chip_out")
    for name in SHAPES:
        assert loco[f"{name}-toy"] == pytest.approx(0.5 / 0.3, rel=2e-3)
        assert loco[f"{name}-toy2"] == pytest.approx(0.6, rel=2e-3)
    st = cv.reports["leave_one_chip_out"].overall()
    # |error| 0.667 (x3) and 0.4 (x3): median (0.4 + 0.667) / 2
    assert st.median_abs_error == pytest.approx((0.4 + 2 / 3) / 2, rel=1e-2)
    assert st.within_2x == 6 and st.within_125 == 0
    assert st.geomean_ratio == pytest.approx(1.0, rel=1e-2)


def test_one_row_is_exactly_determined_and_its_loo_is_the_prior(toy_dir: Path) -> None:
    shape = SHAPES["g1"]
    (toy_dir / "g1.yaml").write_text(LAYER.format(name="g1", m=shape[0], k=shape[1], n=shape[2]))
    csv = write_csv(
        toy_dir, f"only,toy,g1.yaml,toy.yaml,slow,,,,,latency_ms,{_ms(shape, 0.4)!r},,,\n"
    )
    cv = cross_validate(csv, folds=2)
    fit = cv.fits["slow"]
    assert fit.exactly_determined and fit.dof == 0
    assert _ratios(cv, "in_sample")["only"] == pytest.approx(1.0, rel=2e-3)
    # without its only row the stack keeps the prior (0.8): 0.4 / 0.8 = 0.5
    assert _ratios(cv, "leave_one_out")["only"] == pytest.approx(0.5, rel=2e-3)
    assert _ratios(cv, "k_fold")["only"] == pytest.approx(0.5, rel=2e-3)


def test_priors_folder_is_where_fits_start(toy_dir: Path) -> None:
    csv = _rows(toy_dir, {"toy": 0.5, "toy2": 0.5})
    pri = toy_dir / "priors"
    pri.mkdir()
    # a prior at 0.25 of peak for toy: with no rows of toy left, toy is predicted from the
    # shared scale applied to that prior: 0.25 * (0.5 / 0.8) -> ratio 0.5 / 0.15625 = 3.2
    (pri / "toy--slow.yaml").write_text(
        "schema_version: 1\nname: slow\nefficiency: {gemm: 0.25, conv: 0.25, depthwise: 0.25, "
        "elementwise: 0.25, attention: 0.25, data: 1.0}\nbandwidth_efficiency: 0.9\n"
        "overhead_per_op: 1 us\n"
    )
    cv = cross_validate(csv, priors=pri)
    assert _ratios(cv, "leave_one_chip_out")["g1-toy"] == pytest.approx(3.2, rel=1e-2)
    with pytest.raises(StackError, match="priors: no such folder"):
        cross_validate(csv, priors=toy_dir / "nope")


def test_stacks_file(toy_dir: Path) -> None:
    csv = _rows(toy_dir, {"toy": 0.5, "toy2": 0.25})
    stacks = toy_dir / "stacks.yaml"
    stacks.write_text("stacks:\n  other:\n    members: [toy2/slow]\n    reason: test\n")
    cv = cross_validate(csv, stacks=stacks)
    assert set(cv.fits) == {"slow", "other"}
    assert [c for c, _ in cv.fits["other"].members] == ["toy2"]
    # each chip alone: one shared scale each, exact in-sample
    for rid, ratio in _ratios(cv, "in_sample").items():
        assert ratio == pytest.approx(1.0, rel=2e-3), rid
    stacks.write_text("stacks:\n  x:\n    members: [toy2]\n")
    with pytest.raises(StackError, match=r"stacks.x.members: expected CHIP/PROFILE"):
        read_stacks(stacks)
    stacks.write_text("stacks:\n  x:\n    members: [toy2/slow]\n    fit: [speed]\n")
    with pytest.raises(StackError, match="unknown parameter 'speed'"):
        read_stacks(stacks)
    with pytest.raises(ValueError, match="folds"):
        cross_validate(csv, folds=1)


def test_cli_prints_every_scheme_and_the_headline(toy_dir: Path) -> None:
    csv = _rows(toy_dir, {"toy": 0.5, "toy2": 0.25})
    runner = CliRunner()
    res = runner.invoke(app, ["validate", str(csv), "--folds", "3"], env={"COLUMNS": "100"})
    assert res.exit_code == 0, res.output
    for text in ("in-sample", "LOO", "LOCO", "3-fold", "joint fits", "cross-validated"):
        assert text in res.output
    assert "leave-one-out" in res.output and "met" in res.output
    res = runner.invoke(app, ["validate", str(csv), "--folds", "1"])
    assert res.exit_code == 2 and "--folds must be at least 2" in res.output
    res = runner.invoke(app, ["validate", str(csv), "--shipped"])
    assert res.exit_code == 0 and "as shipped" in res.output


# Two MCUs that share one stack: ``mcu200`` is the toy chip as an MCU clocked at 200 MHz,
# ``mcu100`` the same core at 100 MHz (half the peak). The stack's per-inference setup is
# 200,000 core cycles: 1 ms on mcu200, 2 ms on mcu100. Measured latency of a GEMM on chip c
# (GEMM efficiency 0.5; the prior's 1 us per op, stated at each chip's own clock):
#   t = 200e3 / f_c + 1 us + 2 m k n / (peak_c x 0.5).
# The stack fits the GEMM efficiency and the per-run cost (stacks.yaml: no chip terms).
MCU200 = (
    TOY.replace("kind: accelerator\n", "kind: mcu\n")
    .replace("    kind: mac_array\n", "    kind: mac_array\n    clock: 200 MHz\n")
    .replace("    kind: vector\n", "    kind: vector\n    clock: 200 MHz\n")
    .replace("name: toy\n", "name: mcu200\n")
)
MCU100 = (
    MCU200.replace("name: mcu200\n", "name: mcu100\n")
    .replace("clock: 200 MHz", "clock: 100 MHz")
    .replace("peak: {fp16: 1 TFLOPS, int8: 2 TOPS}", "peak: {fp16: 0.5 TFLOPS, int8: 1 TOPS}")
    .replace("vector_peak: 100 GOPS", "vector_peak: 50 GOPS")
)


def test_an_mcu_stack_shares_its_per_run_cost_in_cycles(toy_dir: Path) -> None:
    (toy_dir / "mcu200.yaml").write_text(MCU200)
    (toy_dir / "mcu100.yaml").write_text(MCU100)
    lines = []
    for name, (m, k, n) in SHAPES.items():
        (toy_dir / f"{name}.yaml").write_text(LAYER.format(name=name, m=m, k=k, n=n))
        for chip, f, peak in (("mcu200", 200e6, 1e12), ("mcu100", 100e6, 0.5e12)):
            ms = (200e3 / f + 1e-6 + 2 * m * k * n / (peak * 0.5)) * 1e3
            lines.append(f"{name}-{chip},mcu,{name}.yaml,{chip}.yaml,slow,,,,,latency_ms,{ms!r},,,")
    stacks = toy_dir / "stacks.yaml"
    stacks.write_text("stacks:\n  slow:\n    fit: [efficiency.gemm, overhead_per_run]\n")
    cv = cross_validate(write_csv(toy_dir, "\n".join(lines) + "\n"), stacks=stacks)
    fit = cv.fits["slow"]
    assert set(fit.names) == {"efficiency.gemm", "overhead_per_run"}
    assert fit.run_clock_hz == 200e6  # stated at the faster member's clock
    mult = fit.multipliers()
    assert mult["efficiency.gemm"] == pytest.approx(0.5 / 0.8, rel=1e-3)
    assert mult["overhead_per_run"] == pytest.approx(1e-3, rel=1e-3)  # 200,000 cycles / 200 MHz
    assert fit.profiles[("mcu100", "slow")].overhead_per_run == pytest.approx(2e-3, rel=1e-3)
    assert "(200,000 core cycles)" in fit.label()
    for scheme in ("in_sample", "leave_one_out"):
        for rid, ratio in _ratios(cv, scheme).items():
            assert ratio == pytest.approx(1.0, rel=2e-3), (scheme, rid)


def test_chip_terms_false_fits_the_shared_scale_only(toy_dir: Path) -> None:
    # The chips of test_a_chip_that_differs_shows_up_only_when_left_out, with chip terms
    # switched off in stacks.yaml: one shared scale, the geometric middle sqrt(0.5 x 0.3)
    # (least squares on ln(pred/meas), 3 rows each), so toy's latency comes out
    # 0.5 / sqrt(0.15) = sqrt(0.5/0.3) = 1.29x the measured one and toy2's sqrt(0.3/0.5).
    csv = _rows(toy_dir, {"toy": 0.5, "toy2": 0.3})
    stacks = toy_dir / "stacks.yaml"
    stacks.write_text(
        "stacks:\n  slow:\n    fit: [compute_scale]\n    chip_terms: false\n    reason: test\n"
    )
    cv = cross_validate(csv, stacks=stacks)
    fit = cv.fits["slow"]
    assert fit.names == ("compute_scale",)
    ins = _ratios(cv, "in_sample")
    for name in SHAPES:
        assert ins[f"{name}-toy"] == pytest.approx((0.5 / 0.3) ** 0.5, rel=2e-3)
        assert ins[f"{name}-toy2"] == pytest.approx((0.3 / 0.5) ** 0.5, rel=2e-3)
    stacks.write_text("stacks:\n  slow:\n    chip_terms: maybe\n")
    with pytest.raises(StackError, match=r"stacks.slow.chip_terms: expected true or false"):
        read_stacks(stacks)
