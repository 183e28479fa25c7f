"""The main job writes its outputs into out/, atomically, without clobbering foreign files."""

import json

import pandas as pd
import pytest

import linfen_geo as lg
from linfen_geo.reports.pipeline import run_all
from linfen_geo.reports.writers import OutputDir, write_table


def test_run_all_writes_outputs(tmp_path, catalog):
    out = tmp_path / "out"
    report = run_all(out, catalog=catalog, log=lambda s: None)
    text = report.read_text(encoding="utf-8")
    assert text.startswith("# linfen_geo report")
    for section in (
        "## Layers",
        "## Coverage",
        "## Overlaps",
        "## Plan indicators",
        "## Siting check",
        "## Interactive map",
    ):
        assert section in text
    assert "Illustrative" in text or "ILLUSTRATIVE" in text
    for name in (
        "coverage_by_county.xlsx",
        "overlap_matrix.csv",
        "indicator22_forest_coverage.csv",
        "siting_examples.json",
        "map.html",
        "linfen_geo.gpkg",
    ):
        assert (out / name).stat().st_size > 0, name
    table = pd.read_csv(out / "catalog.csv")
    assert len(table) == len(catalog.names())
    assert (out / "overview_map.png").stat().st_size > 50_000
    manifest = json.loads((out / "MANIFEST.json").read_text())
    assert {"catalog.csv", "overview_map.png", "REPORT.md"} <= set(manifest["files"])
    # every table states its definitions: CSVW sidecars for CSVs, a notes sheet in workbooks
    for csv in out.glob("*.csv"):
        meta = json.loads((out / (csv.name + "-metadata.json")).read_text(encoding="utf-8"))
        assert meta["url"] == csv.name
        assert [c["name"] for c in meta["tableSchema"]["columns"]] == list(pd.read_csv(csv).columns)
        areas = [c for c in meta["tableSchema"]["columns"] if c["name"].endswith(("_m2", "_km2", "_mu"))]
        for col in areas:
            assert "Albers" in col["dc:description"] or "EPSG:" in col["dc:description"], (csv.name, col)
        assert (csv.name + "-metadata.json") in set(json.loads((out / "MANIFEST.json").read_text())["files"])
    matrix = json.loads((out / "overlap_matrix.csv-metadata.json").read_text(encoding="utf-8"))
    assert any("dissolved first" in n["dc:description"] for n in matrix["notes"])
    assert "definitions" in pd.ExcelFile(out / "greening.xlsx").sheet_names  # beside greening's own notes
    notes = pd.read_excel(out / "coverage_by_county.xlsx", sheet_name="notes")
    assert notes["text"].str.contains("Albers").any()
    assert notes["text"].str.contains("dissolved first").any()
    # a re-run replaces its own files
    run_all(out, catalog=catalog, steps=["layers"], log=lambda s: None)


def test_output_dir_protects_foreign_files(tmp_path):
    (tmp_path / "catalog.csv").write_text("precious", encoding="utf-8")
    with pytest.raises(lg.InputError, match=r"did not write \(catalog.csv\).*--force"):
        OutputDir(tmp_path)  # refused before anything is written
    assert (tmp_path / "catalog.csv").read_text(encoding="utf-8") == "precious"
    with OutputDir(tmp_path, overwrite=True) as out:
        out.table(pd.DataFrame({"a": [1]}), "catalog.csv")
    assert pd.read_csv(tmp_path / "catalog.csv")["a"].tolist() == [1]


def test_write_table_formats(tmp_path):
    df = pd.DataFrame({"县 county": ["尧都区"], "area_km2": [1309.85]})
    write_table(df, tmp_path / "t.csv")
    assert pd.read_csv(tmp_path / "t.csv", encoding="utf-8-sig").iloc[0, 0] == "尧都区"
    write_table(df, tmp_path / "t.xlsx")
    assert pd.read_excel(tmp_path / "t.xlsx").iloc[0, 1] == pytest.approx(1309.85)
    write_table(df, tmp_path / "t.md")
    assert "| 尧都区 | 1,309.85 |" in (tmp_path / "t.md").read_text(encoding="utf-8")
    with pytest.raises(lg.InputError, match="exists"):
        write_table(df, tmp_path / "t.csv")
    assert not list(tmp_path.glob(".t.*"))  # no temporary files left behind
