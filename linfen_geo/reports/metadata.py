"""Tables that carry their own definitions: CSVW sidecars for CSV, a notes sheet for XLSX.

A number in a CSV means little without the CRS its area was measured in and the
rule that made it ("layers dissolved first", "in = intersects"). Analyses put
those facts in a table's ``attrs`` (``area_crs``, ``length_crs``,
``definitions``, ``status``, ``caveat_en`` ...); the writers turn them into a
`CSV on the Web <https://www.w3.org/TR/tabular-metadata/>`_ sidecar
(``table.csv-metadata.json``, the name CSVW processors look for) and into a
``notes`` sheet of every workbook.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"name_zh": ["尧都区"], "area_m2": [1.5e9], "area_mu": [2.25e6]})
>>> df.attrs["area_crs"] = "CGCS2000 / Linfen Albers equal-area"
>>> meta = csvw_metadata(df, "coverage.csv")
>>> meta["tableSchema"]["columns"][1]["datatype"], meta["tableSchema"]["columns"][1]["dc:description"]
('number', 'square metres, measured in CGCS2000 / Linfen Albers equal-area')
>>> table_notes(df)[0]
('area CRS 面积坐标系', 'CGCS2000 / Linfen Albers equal-area')
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

__all__ = ["csvw_metadata", "notes_frame", "table_notes"]

_AREA_UNITS = {
    "m2": "square metres",
    "km2": "square kilometres",
    "ha": "hectares",
    "mu": "亩 mu (1 mu = 10000/15 m2)",
    "wanmu": "万亩 10,000 mu",
}
_LENGTH_UNITS = {"m": "metres", "km": "kilometres"}


def _area_crs(df: pd.DataFrame) -> str | None:
    return df.attrs.get("area_crs")


def _unit_of(column: str) -> tuple[str, str] | None:
    """('area'|'length', unit words) from a unit-suffixed column name."""
    m = re.search(r"_(m2|km2|ha|mu|wanmu|m|km)$", column)
    if not m:
        return None
    unit = m.group(1)
    return ("area", _AREA_UNITS[unit]) if unit in _AREA_UNITS else ("length", _LENGTH_UNITS[unit])


def _has(df: pd.DataFrame, kind: str) -> bool:
    return any((u := _unit_of(str(c))) and u[0] == kind for c in df.columns)


def table_notes(df: pd.DataFrame) -> list[tuple[str, str]]:
    """(label, text) pairs stating how a table's numbers were made, from its ``attrs``.

    Area and length columns (named ``*_m2``, ``*_km2``, ``*_ha``, ``*_mu``, ``*_m``, ``*_km``)
    get their CRS stated; a table with area columns but no ``attrs["area_crs"]`` says so
    rather than guess.
    """
    a = df.attrs
    notes: list[tuple[str, str]] = []
    if _has(df, "area") or "area_crs" in a:
        notes.append(("area CRS 面积坐标系", a.get("area_crs") or "not recorded by the analysis"))
    if _has(df, "length") or "length_crs" in a:
        notes.append(
            ("length CRS 长度坐标系", a.get("length_crs") or a.get("area_crs") or "not recorded by the analysis")
        )
    if _has(df, "area"):
        notes.append(("亩 mu", "1 亩 = 10000/15 m2 = 666.67 m2; 1 万亩 = 10,000 亩"))
    for d in a.get("definitions", []) or []:
        notes.append(("definition 定义", str(d)))
    for key, label in (
        ("indicator", "indicator 指标"),
        ("layer", "layer 图层"),
        ("raster", "raster 栅格"),
        ("class_scheme", "class scheme 分类体系"),
        ("caveat_en", "caveat"),
        ("caveat_zh", "说明"),
    ):
        if a.get(key):
            notes.append((label, str(a[key])))
    status = a.get("status")
    if isinstance(status, dict):
        flagged = sorted(k for k, v in status.items() if v == "illustrative")
        notes.append(("layer status 数据状态", "; ".join(f"{k}: {v}" for k, v in sorted(status.items()))))
        if flagged:
            notes.append(("ILLUSTRATIVE 示意数据", f"modelled, not official: {', '.join(flagged)}"))
    elif status:
        notes.append(("layer status 数据状态", str(status)))
        if status == "illustrative":
            notes.append(("ILLUSTRATIVE 示意数据", "built from the plan by a documented method, not official data"))
    return notes


def notes_frame(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One ``notes`` sheet for a workbook: ``sheet, note, text`` rows for every table."""
    rows = [
        {"sheet": name, "note": label, "text": text} for name, df in tables.items() for label, text in table_notes(df)
    ]
    return pd.DataFrame(rows, columns=["sheet", "note", "text"])


def _datatype(series: pd.Series) -> str:
    kind = series.dtype.kind
    return {"i": "integer", "u": "integer", "f": "number", "b": "boolean", "M": "datetime"}.get(kind, "string")


def csvw_metadata(df: pd.DataFrame, csv_name: str, *, title: str | None = None) -> dict[str, Any]:
    """A CSVW table description of ``df`` written as ``csv_name`` (W3C Metadata Vocabulary for Tabular Data)."""
    area_crs = _area_crs(df) or "a CRS the analysis did not record"
    length_crs = df.attrs.get("length_crs") or _area_crs(df) or "a CRS the analysis did not record"
    columns = []
    for c in df.columns:
        col: dict[str, Any] = {"name": str(c), "titles": str(c), "datatype": _datatype(df[c])}
        unit = _unit_of(str(c))
        if unit:
            col["dc:description"] = f"{unit[1]}, measured in {area_crs if unit[0] == 'area' else length_crs}"
        columns.append(col)
    return {
        "@context": ["http://www.w3.org/ns/csvw", {"@language": "en"}],
        "url": csv_name,
        "dc:title": title or df.attrs.get("indicator") or df.attrs.get("layer") or csv_name,
        "dc:creator": "linfen_geo",
        "dialect": {"encoding": "utf-8", "header": True},
        "notes": [{"type": "Note", "dc:title": label, "dc:description": text} for label, text in table_notes(df)],
        "tableSchema": {"columns": columns},
    }
