import pandas as pd
import pytest

from linfen_geo.units import M2_PER_MU, add_area_columns, convert_area


def test_mu_definition():
    assert pytest.approx(666.6667, abs=1e-4) == M2_PER_MU
    assert convert_area(1, "ha", "mu") == pytest.approx(15)
    assert convert_area(1, "km2", "mu") == pytest.approx(1500)
    assert convert_area(200_000, "mu", "km2") == pytest.approx(133.3333, rel=1e-6)  # the plan's 20万亩
    assert convert_area(20, "wanmu", "mu") == pytest.approx(200_000)


def test_round_trip_and_unknown_unit():
    for unit in ("ha", "km2", "mu", "wanmu"):
        assert convert_area(convert_area(12345.6, "m2", unit), unit, "m2") == pytest.approx(12345.6)
    with pytest.raises(ValueError, match="unknown area unit"):
        convert_area(1, "m2", "acre")


def test_add_area_columns():
    df = add_area_columns(pd.DataFrame({"covered_m2": [1e6, 0.0]}), "covered_m2", units=("km2", "ha", "mu", "wanmu"))
    assert df["covered_km2"].tolist() == [1.0, 0.0]
    assert df["covered_mu"].iloc[0] == pytest.approx(1500)
    assert df["covered_wanmu"].iloc[0] == pytest.approx(0.15)
    with pytest.raises(ValueError, match="_m2"):
        add_area_columns(df, "covered_km2")
