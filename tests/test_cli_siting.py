"""``linfen-geo check-siting``: exit codes, formats, --out/--map safety, one-line errors on bad files."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from linfen_geo.cli.app import main

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_GEOJSON = REPO / "examples" / "sites_three_projects.geojson"
EXAMPLE_TXT = REPO / "examples" / "sites_three_projects.txt"


@pytest.fixture(autouse=True)
def _test_catalog(monkeypatch, catalog):
    """The CLI's default catalog is the test session's (private build cache, no user config)."""
    monkeypatch.setattr("linfen_geo.layer_catalog.core._CATALOG", catalog)


@pytest.fixture(scope="module")
def clear_site(tmp_path_factory) -> Path:
    """The example solar farm alone: kilometres from every protected layer."""
    sites = gpd.read_file(EXAMPLE_GEOJSON)
    path = tmp_path_factory.mktemp("clear") / "solar.geojson"
    sites[sites["site_id"] == "P1"].to_file(path, driver="GeoJSON")
    return path


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["check-siting", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_all_clear_exits_0(capsys, clear_site):
    code, out, err = run(capsys, clear_site)
    assert code == 0, err
    assert "[无冲突 CLEAR] site P1" in out
    assert "ILLUSTRATIVE" in out  # footer: the verdict rests on illustrative layers
    assert err == ""


def test_contacts_exit_1_with_readable_table(capsys):
    code, out, err = run(capsys, EXAMPLE_TXT)  # 界址点 TXT, GBK + CRLF
    assert code == 1, err
    assert "[禁止 PROHIBITED] site P3 乡宁县石料厂" in out
    assert "R1 禁止 prohibited: redlines" in out
    assert "占用生态保护红线" in out and "red line" in out
    assert "conflict-free remainder 无冲突部分" in out
    assert "NOTE: 示意图层 ILLUSTRATIVE layers used: redlines" in out
    assert "Layers 图层:" in out and "EPSG:4546" in out


def test_json_schema(capsys):
    code, out, _ = run(capsys, EXAMPLE_GEOJSON, "--format", "json")
    assert code == 1
    data = json.loads(out)
    assert {"sites", "layers", "crs", "illustrative", "notes"} <= set(data)
    assert data["illustrative"] is True
    assert [s["site_id"] for s in data["sites"]] == ["P1", "P2", "P3"]
    for site in data["sites"]:
        assert {"site_id", "verdict", "area_m2", "nearest_redline_m", "conflicts"} <= set(site)
        for c in site["conflicts"]:
            assert {"layer", "feature_id", "overlap_m2", "distance_m", "rule"} <= set(c)
    by_id = {s["site_id"]: s for s in data["sites"]}
    assert by_id["P1"]["verdict"] == "clear" and by_id["P1"]["conflicts"] == []
    assert by_id["P3"]["conflicts"][0]["rule"] == "R1"
    assert {layer["name"] for layer in data["layers"]} >= {"redlines", "reserves"}
    assert all({"name", "status", "source"} <= set(layer) for layer in data["layers"])


def test_txt_and_geojson_agree(capsys):
    _, a, _ = run(capsys, EXAMPLE_GEOJSON, "--format", "json")
    _, b, _ = run(capsys, EXAMPLE_TXT, "--format", "json")
    va = [(s["site_id"], s["verdict"]) for s in json.loads(a)["sites"]]
    vb = [(s["site_id"], s["verdict"]) for s in json.loads(b)["sites"]]
    assert va == vb


def test_csv_has_every_site_and_the_illustrative_flag(capsys, tmp_path):
    out_csv = tmp_path / "verdicts.csv"
    code, out, _ = run(capsys, EXAMPLE_GEOJSON, "--out", out_csv)  # format from the suffix
    assert code == 1 and "wrote" in out
    df = pd.read_csv(out_csv, encoding="utf-8-sig")
    assert set(df["site_id"]) == {"P1", "P2", "P3"}
    assert df["illustrative"].all()
    assert df.loc[df["site_id"] == "P3", "rule"].tolist() == ["R1"]


def test_out_never_overwrites_without_force(capsys, tmp_path):
    target = tmp_path / "result.json"
    target.write_text("keep me", encoding="utf-8")
    code, _out, err = run(capsys, EXAMPLE_GEOJSON, "--format", "json", "--out", target)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "--force" in err
    assert target.read_text(encoding="utf-8") == "keep me"
    code, _, _ = run(capsys, EXAMPLE_GEOJSON, "--format", "json", "--out", target, "--force")
    assert code == 1
    assert json.loads(target.read_text(encoding="utf-8"))["sites"][0]["site_id"] == "P1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.json"]  # no temporary files left


def test_map_is_written(capsys, tmp_path):
    png = tmp_path / "map.png"
    code, _out, _ = run(capsys, EXAMPLE_GEOJSON, "--map", png)
    assert code == 1
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code, _, err = run(capsys, EXAMPLE_GEOJSON, "--map", png)
    assert code == 2 and "exists" in err


def _bad_files(tmp: Path) -> dict[str, Path]:
    files = {
        "empty": tmp / "empty.geojson",
        "wrong columns": tmp / "wrong.csv",
        "garbage coordinates": tmp / "garbage.csv",
        "swapped X/Y": tmp / "swapped.csv",
        "unknown zone": tmp / "zone99.txt",
    }
    files["empty"].write_bytes(b"")
    files["wrong columns"].write_text("项目,面积\n光伏,12\n", encoding="utf-8")
    files["garbage coordinates"].write_text("lon,lat\n111.52,36.08\n111.5x,36.1\n", encoding="utf-8")
    files["swapped X/Y"].write_text("lon,lat\n36.08,111.52\n36.09,111.53\n", encoding="utf-8")
    txt = EXAMPLE_TXT.read_bytes().decode("gbk").replace("带号=37", "带号=99")
    txt = re.sub(r"(?m)^(J\d+,\d+,[\d.]+,)37", r"\g<1>99", txt)  # eastings carry zone prefix 99 too
    files["unknown zone"].write_bytes(txt.encode("gbk"))
    return files


@pytest.mark.parametrize("kind", ["empty", "wrong columns", "garbage coordinates", "swapped X/Y", "unknown zone"])
def test_bad_files_exit_2_with_one_line(capsys, tmp_path, kind):
    path = _bad_files(tmp_path)[kind]
    code, out, err = run(capsys, path)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("linfen-geo: error: ") and path.name in lines[0]
    assert "Traceback" not in err


def test_unknown_crs_is_one_line(capsys):
    code, _, err = run(capsys, EXAMPLE_GEOJSON, "--crs", "EPSG:99999")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "unknown CRS" in err


def test_real_process_exit_codes_and_usage(tmp_path):
    """One real process: exit status 2 and exactly one stderr line, for a bad file and for bad usage."""
    bad = _bad_files(tmp_path)["swapped X/Y"]
    for args in (["check-siting", str(bad)], ["check-siting"], ["check-siting", str(bad), "--format", "xml"]):
        res = subprocess.run([sys.executable, "-m", "linfen_geo", *args], capture_output=True, text=True, cwd=tmp_path)
        assert res.returncode == 2, args
        assert len(res.stderr.strip().splitlines()) == 1, res.stderr
        assert "Traceback" not in res.stderr
