"""The layer catalog: the one place that knows where each layer comes from.

A layer is a shipped file (``real`` base data), the product of a builder
(``illustrative`` or derived layers, built from other layers and the plan file,
cached on disk), or a user's replacement (``official`` data, or any file the
user brings). Analyses ask the catalog for layers; they never open files.

Examples
--------
>>> import linfen_geo as lg
>>> counties = lg.load("counties")
>>> len(counties)
17
>>> str(counties.crs)
'EPSG:4326'
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import os
import time
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from linfen_geo import config as _config
from linfen_geo.crs import STORAGE_CRS, crs_label
from linfen_geo.errors import (
    DataMissingError,
    InputError,
    LayerNotFoundError,
    LinfenGeoError,
    LinfenGeoWarning,
    SchemaError,
)
from linfen_geo.files import atomic_write
from linfen_geo.io.textfiles import check_regular_file
from linfen_geo.landcover import scheme_codes
from linfen_geo.layer_catalog.codehash import code_digest
from linfen_geo.layer_catalog.rasterkind import check_raster_kind
from linfen_geo.layer_catalog.schema import Schema, validate_raster, validate_vector
from linfen_geo.plan.loader import load_plan, plan_section_digest

__all__ = [
    "Catalog", "LayerSpec", "Replacement", "catalog", "get_catalog", "load", "register", "reset", "use", "use_plan",
]  # fmt: skip

STATUSES = ("official", "real", "derived", "illustrative")


@dataclass(frozen=True)
class LayerSpec:
    """A catalog entry, read from ``layer_catalog/layers.toml``."""

    name: str
    title_zh: str
    title_en: str
    kind: str  # vector | raster
    file: str | None = None
    builder: str | None = None
    inputs: tuple[str, ...] = ()
    plan: tuple[str, ...] = ()
    schema: Schema = field(default_factory=Schema)
    rename: Mapping[str, str] = field(default_factory=dict)
    id: str | None = None
    units: str | None = None
    classes: str | None = None
    status: str | None = None
    status_hook: str | None = None  # "module:function" taking the plan, "illustrative" when it models
    source: str | None = None
    licence: str | None = None
    accuracy: str | None = None

    @classmethod
    def from_toml(cls, name: str, entry: dict[str, Any]) -> LayerSpec:
        schema = Schema(
            geometry=tuple(entry.get("geometry", ())),
            columns=dict(entry.get("columns", {})),
            defaults=dict(entry.get("defaults", {})),
        )
        return cls(
            name=name,
            title_zh=entry["title_zh"],
            title_en=entry["title_en"],
            kind=entry["kind"],
            file=entry.get("file"),
            builder=entry.get("builder"),
            inputs=tuple(entry.get("inputs", ())),
            plan=tuple(entry.get("plan", ())),
            schema=schema,
            rename=dict(entry.get("rename", {})),
            id=entry.get("id"),
            units=entry.get("units"),
            classes=entry.get("classes"),
            status=entry.get("status"),
            status_hook=entry.get("status_hook"),
            source=entry.get("source"),
            licence=entry.get("licence"),
            accuracy=entry.get("accuracy"),
        )


@dataclass(frozen=True)
class Replacement:
    """A user's file standing in for a catalog layer."""

    path: Path
    status: str = "official"
    source: str | None = None
    licence: str | None = None
    accuracy: str | None = None
    crs: Any = None
    layer: str | int | None = None
    columns: Mapping[str, str] = field(default_factory=dict)  # schema column -> user column
    encoding: str | None = None
    classes: str | None = None


#: GeoTIFF tag in which ``data import`` records a land cover's class scheme
CLASS_SCHEME_TAG = "LINFEN_GEO_CLASSES"


def recorded_class_scheme(path: Path) -> str | None:
    """The class scheme recorded in a raster's GeoTIFF tags, if any."""
    import rasterio

    try:
        with rasterio.open(path) as src:
            return src.tags().get(CLASS_SCHEME_TAG) or None
    except rasterio.errors.RasterioIOError:
        return None


def _sha256_path(path: Path) -> str:
    """Content hash of a file, a shapefile with its sidecars, or a folder (File GDB)."""
    h = hashlib.sha256()
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
    elif path.suffix.lower() == ".shp":
        files = sorted(p for p in path.parent.glob(path.stem + ".*") if p.is_file())
    else:
        files = [path]
    for f in files:
        h.update(f.name.encode())
        with f.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def _checksum_path(path: Path) -> Path:
    """The checksum record beside a cache entry (``<entry>.sha256.json``)."""
    return path.with_name(path.name + ".sha256.json")


class BuildContext:
    """What a builder sees: the catalog's layers, the plan and its own spec."""

    def __init__(self, catalog: Catalog, spec: LayerSpec):
        self._catalog = catalog
        self.spec = spec
        self.plan = catalog.plan

    def load(self, name: str) -> Any:
        """Load an input layer (it must be declared in the spec's ``inputs``)."""
        if name not in self.spec.inputs:
            raise LinfenGeoError(f"builder of {self.spec.name!r} read {name!r} without declaring it in inputs")
        return self._catalog.load(name)

    def provenance(self, name: str) -> dict[str, Any]:
        """Provenance of an input layer (see :meth:`Catalog.provenance`)."""
        if name not in self.spec.inputs:
            raise LinfenGeoError(f"builder of {self.spec.name!r} read {name!r} without declaring it in inputs")
        return self._catalog.provenance(name)

    def status_of(self, name: str) -> str:
        """Status of an input layer (``official``, ``real``, ``derived``, ``illustrative``)."""
        return self._catalog.status(name)


class Catalog:
    """Registry of layers with their provenance, schemas and user replacements.

    Parameters
    ----------
    data_dir, cache_dir
        Override where shipped data live and where built layers are cached.
    config
        A parsed config (see :mod:`linfen_geo.config`); read from disk by default.
    """

    def __init__(
        self,
        data_dir: str | Path | None = None,
        cache_dir: str | Path | None = None,
        config: dict[str, Any] | None = None,
    ):
        cfg = _config.read_config() if config is None else config
        self.data_dir = Path(data_dir) if data_dir else _config.data_dir(cfg)
        self.cache_dir = Path(cache_dir) if cache_dir else _config.cache_dir(cfg)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        entries = tomllib.loads((_config.PACKAGE_DIR / "layer_catalog" / "layers.toml").read_text(encoding="utf-8"))[
            "layers"
        ]
        self.specs: dict[str, LayerSpec] = {n: LayerSpec.from_toml(n, e) for n, e in entries.items()}
        self.sources: dict[str, dict[str, Any]] = tomllib.loads(
            (self.data_dir / "sources.toml").read_text(encoding="utf-8")
        )
        self.replacements: dict[str, Replacement] = {}
        #: names of the layers the user added with :meth:`register`
        self.registered: set[str] = set()
        self._plan_path: str | None = cfg.get("plan")
        self.plan = load_plan(self._plan_path)
        self._memo: dict[str, tuple[str, Any]] = {}
        self._study_area: Any = None
        self._fp_memo: dict[tuple[str, float, int], str] = {}
        self.build_seconds: dict[str, float] = {}
        from linfen_geo.config_schema import validate_config

        where = str(_config.config_file() or "config") if config is None else "config"
        validate_config(cfg, where, layer_names=list(self.specs))
        #: the config file's [siting] table (preset, rules merged with the plan's, replace_rules)
        self.siting_overrides: dict[str, Any] = dict(cfg.get("siting", {}))
        for name, entry in cfg.get("layers", {}).items():
            entry = dict(entry)
            if name in self.specs:
                self.use(name, entry.pop("path"), **entry)
            else:  # a new layer of the user's (validate_config checked it declares one)
                if "name" in entry:
                    entry["name_column"] = entry.pop("name")
                self.register(name, entry.pop("path"), **entry)

    # ---------------------------------------------------------------- registry
    def spec(self, name: str) -> LayerSpec:
        """The catalog entry of ``name``."""
        try:
            return self.specs[name]
        except KeyError:
            raise LayerNotFoundError(f"no layer named {name!r}; known layers: {', '.join(self.specs)}") from None

    def names(self) -> list[str]:
        """All layer names, in catalog order."""
        return list(self.specs)

    def use(
        self,
        name: str,
        path: str | os.PathLike[str],
        *,
        status: str = "official",
        source: str | None = None,
        licence: str | None = None,
        accuracy: str | None = None,
        crs: Any = None,
        layer: str | int | None = None,
        columns: Mapping[str, str] | None = None,
        encoding: str | None = None,
        classes: str | None = None,
    ) -> None:
        """Replace layer ``name`` by a user's file, validated like the original.

        Parameters
        ----------
        name
            Catalog layer to replace (``redlines``, ``dem``, ``corridor_roads`` ...).
        path
            Vector file (GeoJSON, GeoPackage, shapefile, File GDB, KML ...) or raster (GeoTIFF).
        status
            ``official`` (default) or another status from :data:`STATUSES`.
        source, licence, accuracy
            Provenance shown in the catalog; ``source`` defaults to the path.
        crs
            CRS to assume when the file has none.
        layer
            Layer inside a GeoPackage or File GDB.
        columns
            ``{schema column: your column}`` when your names differ.
        encoding
            Attribute encoding of a shapefile without ``.cpg`` (e.g. ``"gbk"``).
        classes
            Class scheme of a land-cover raster (``igbp``, ``worldcover``, ``clcd``).
        """
        spec = self.spec(name)
        path = Path(path).expanduser()
        if not path.exists():
            raise InputError(f"cannot use {path} for layer {name!r}: no such file")
        check_regular_file(path, where=f"layer {name!r}: {path}", folders=(".gdb",))
        if status not in STATUSES:
            raise InputError(f"status must be one of {STATUSES}, not {status!r}")
        if spec.kind == "raster" and spec.classes and not classes:
            # a land cover's codes mean nothing without their scheme: never assume the shipped one's
            classes = recorded_class_scheme(path)
            if not classes:
                known = ", ".join(sorted(self.plan.get("greening", {}).get("class_maps", {})))
                raise InputError(
                    f"which land-cover classes does {path.name} hold? pass classes= one of {known} "
                    "(`linfen-geo data import --kind landcover --classes ...` records it in the file)"
                )
        rep = Replacement(
            path=path.resolve(),
            status=status,
            source=source or str(path),
            licence=licence,
            accuracy=accuracy,
            crs=crs,
            layer=layer,
            columns=dict(columns or {}),
            encoding=encoding,
            classes=classes,
        )
        previous = self.replacements.get(name)
        self.replacements[name] = rep
        try:
            self.load(name)  # validate now, so a bad file fails at use() and not later
        except BaseException:
            if previous is None:
                self.replacements.pop(name, None)
            else:
                self.replacements[name] = previous
            raise

    def register(self, name: str, path: str | os.PathLike[str], **options: Any) -> None:
        """Add a new vector layer of the user's (see :func:`~linfen_geo.layer_catalog.register.register_layer`)."""
        from linfen_geo.layer_catalog.register import register_layer

        register_layer(self, name, path, **options)

    def reset(self, name: str | None = None) -> None:
        """Drop the user's replacement of ``name`` (all replacements if None)."""
        if name is None:
            self.replacements.clear()
        else:
            self.spec(name)
            self.replacements.pop(name, None)

    def use_plan(self, path: str | os.PathLike[str] | None) -> None:
        """Use another plan file (None: the packaged one). Built layers rebuild as needed."""
        self._plan_path = None if path is None else str(path)
        self.plan = load_plan(self._plan_path)

    # ---------------------------------------------------------------- provenance
    def status(self, name: str) -> str:
        """``official``, ``real``, ``derived`` or ``illustrative``."""
        spec = self.spec(name)
        if name in self.replacements:
            return self.replacements[name].status
        if spec.file:
            return self.sources.get(spec.file, {}).get("status", "real")
        # a builder that models some features flags them; the layer is then illustrative as a whole
        # (its ``status_hook`` says so from the plan without building the layer, or importing the
        # builder's module)
        if spec.status_hook and spec.status != "illustrative":
            module, func = spec.status_hook.split(":")
            if getattr(importlib.import_module(module), func)(self.plan) == "illustrative":
                return "illustrative"
        if spec.status:
            return spec.status
        # a derived layer is as illustrative as its least certain input
        statuses = {self.status(i) for i in spec.inputs}
        return "illustrative" if "illustrative" in statuses else "derived"

    def attributions(self, names: Sequence[str] | None = None) -> list[str]:
        """Credits the licences of ``names`` (default: every layer) and their inputs require, once each.

        Taken from the ``attribution`` of each shipped file's ``data/sources.toml`` entry (ODbL and
        CC BY data must be credited wherever they are shown); a replacement credits its ``source``.
        """
        from linfen_geo.layer_catalog.register import attributions

        return attributions(self, names)

    def provenance(self, name: str) -> dict[str, Any]:
        """Source, licence, accuracy and path of a layer, as shown by :meth:`table`."""
        spec = self.spec(name)
        if name in self.replacements:
            rep = self.replacements[name]
            return {
                "source": rep.source,
                "licence": rep.licence or "",
                "accuracy": rep.accuracy or "",
                "path": str(rep.path),
                "replaced": True,
            }
        if spec.file:
            src = self.sources.get(spec.file)
            if src is None:
                raise DataMissingError(f"data/sources.toml has no entry for {spec.file}")
            return {
                "source": src["source"],
                "licence": src["licence"],
                "accuracy": src["accuracy"],
                "path": str(self.data_dir / spec.file),
                "replaced": False,
            }
        return {
            "source": spec.source or f"built by {spec.builder} from {', '.join(spec.inputs)}",
            "licence": spec.licence or "as its inputs",
            "accuracy": spec.accuracy or "",
            "path": str(self._cache_path(name)),
            "replaced": False,
        }

    # ---------------------------------------------------------------- fingerprints and loading
    def _file_fp(self, path: Path) -> str:
        st = path.stat()
        key = (str(path), st.st_mtime, st.st_size)
        if key not in self._fp_memo:
            self._fp_memo[key] = _sha256_path(path)
        return self._fp_memo[key]

    def fingerprint(self, name: str) -> str:
        """Content hash of a layer's inputs: changes whenever the layer would change."""
        spec = self.spec(name)
        h = hashlib.sha256(name.encode())
        if name in self.replacements:
            rep = self.replacements[name]
            h.update(self._file_fp(rep.path).encode())
            opts = {k: str(v) for k, v in rep.__dict__.items() if k not in ("path", "source", "licence", "accuracy")}
            h.update(json.dumps(opts, sort_keys=True).encode())
        elif spec.file:
            h.update(self._file_fp(self.data_dir / spec.file).encode())
        else:
            h.update(spec.builder.encode())
            h.update(code_digest(spec.builder.split(":")[0]).encode())  # the builder's code and what it uses
            h.update(plan_section_digest(self.plan, list(spec.plan)).encode())
            for dep in spec.inputs:
                h.update(self.fingerprint(dep).encode())
        return h.hexdigest()

    def _cache_path(self, name: str, fp: str | None = None) -> Path:
        fp = fp or self.fingerprint(name)
        return self.cache_dir / f"{name}-{fp[:16]}.parquet"

    def is_built(self, name: str) -> bool:
        """True when a built layer is cached for the current inputs."""
        return self._cache_path(name).exists()

    def load(self, name: str) -> Any:
        """Load a layer: a GeoDataFrame in EPSG:4326 (vector) or an xarray DataArray (raster).

        Built layers are read from the cache or built (and cached) on first use.
        """
        spec = self.spec(name)
        fp = self.fingerprint(name)
        memo = self._memo.get(name)
        if memo and memo[0] == fp:
            return memo[1].copy()
        if name in self.replacements:
            obj = self._read_replacement(spec, self.replacements[name])
            self._check_overlaps_city(name, obj)
        elif spec.file:
            obj = self._read_file(
                spec, self.data_dir / spec.file, label=f"layer {name!r} ({spec.file})", classes=spec.classes
            )
        else:
            obj = self._build(spec, fp)
        obj.attrs.update(
            {
                "layer": name,
                "status": self.status(name),
                "title_zh": spec.title_zh,
                "title_en": spec.title_en,
                "fingerprint": fp,
            }
        )
        self._memo[name] = (fp, obj)
        return obj.copy()

    def _read_file(
        self,
        spec: LayerSpec,
        path: Path,
        *,
        label: str,
        crs: Any = None,
        layer: Any = None,
        rename: Mapping[str, str] | None = None,
        encoding: str | None = None,
        classes: str | None = None,
    ) -> Any:
        if not path.exists():
            raise DataMissingError(f"{label}: file {path} does not exist")
        if spec.kind == "raster":
            import rioxarray

            try:
                masked = spec.units != "class"
                da = rioxarray.open_rasterio(path, masked=masked)
            except Exception as exc:
                raise InputError(f"{label}: cannot read raster {path.name}: {exc}") from None
            codes = scheme_codes(self.plan.get("greening", {}).get("class_maps", {}), classes)
            check_raster_kind(path, spec.units, label=label, class_codes=codes)
            da = validate_raster(da, label=label, crs=crs)
            da.name = spec.name
            da.attrs["units"] = spec.units or ""
            if classes:
                da.attrs["class_scheme"] = classes
            return da
        import geopandas as gpd

        from linfen_geo.io.vectors import read_vector

        kwargs: dict[str, Any] = {}
        if layer is not None:
            kwargs["layer"] = layer
        if encoding:
            kwargs["encoding"] = encoding
        try:
            gdf = read_vector(path, where=label, warn=True, **kwargs)
        except InputError:
            raise
        except Exception as exc:
            msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise InputError(f"{label}: cannot read {path.name}: {msg}") from None
        if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
            raise SchemaError(f"{label}: {path.name} has no geometry")
        return validate_vector(gdf, spec.schema, label=label, rename=rename or spec.rename, crs=crs)

    def _read_replacement(self, spec: LayerSpec, rep: Replacement) -> Any:
        rename = {user: schema for schema, user in rep.columns.items()}
        return self._read_file(
            spec,
            rep.path,
            label=f"layer {spec.name!r} from {rep.path.name}",
            crs=rep.crs,
            layer=rep.layer,
            rename=rename,
            encoding=rep.encoding,
            classes=rep.classes,
        )

    def study_area(self) -> Any:
        """The city outline as shipped (one lon/lat geometry): the area every replacement must overlap."""
        if self._study_area is None:
            import shapely

            spec = self.spec("city_outline")
            gdf = self._read_file(spec, self.data_dir / spec.file, label="layer 'city_outline'")
            self._study_area = shapely.union_all(gdf.geometry.values)
            shapely.prepare(self._study_area)  # every siting check asks it of all its sites
        return self._study_area

    def _check_overlaps_city(self, name: str, obj: Any) -> None:
        """Refuse a replacement that lies beside Linfen (a wrong CRS label), naming the distance and the fix."""
        import shapely

        from linfen_geo.placement import describe, placement

        area = self.study_area()
        rep = self.replacements[name]
        if self.spec(name).kind == "raster":
            lonlat = obj.rio.transform_bounds(STORAGE_CRS)
            if shapely.intersects(shapely.box(*lonlat), area):
                return
            src, bounds = crs_label(obj.rio.crs), obj.rio.bounds()
        else:
            if shapely.intersects(area, obj.geometry.values).any():
                return
            src = obj.attrs.get("source_crs")
            bounds = obj.attrs.get("source_bounds", tuple(obj.total_bounds))
            lonlat = tuple(obj.total_bounds)
        where = placement(bounds, src, area, lonlat_bounds=lonlat)
        hint = (
            "fix the file's CRS (.prj), or pass crs=... (it overrides the file's)" if where.fixes else "check the file"
        )
        raise SchemaError(
            f"layer {name!r} from {rep.path.name}: no feature overlaps Linfen: the data {describe(where, src)}; {hint}"
        )

    def _build(self, spec: LayerSpec, fp: str) -> Any:
        path = self._cache_path(spec.name, fp)
        gdf = self._read_cached(spec.name, fp, path) if path.exists() else None
        if gdf is None:
            module_name, func_name = spec.builder.split(":")
            builder = getattr(importlib.import_module(module_name), func_name)
            t0 = time.perf_counter()
            built = builder(BuildContext(self, spec))
            self.build_seconds[spec.name] = time.perf_counter() - t0
            built = validate_vector(built, spec.schema, label=f"built layer {spec.name!r}")
            gdf = self._write_cached(spec.name, fp, path, built)
        return gdf

    def _write_cached(self, name: str, fp: str, path: Path, gdf: Any) -> Any:
        """Write a built layer and its checksum record; return what a later load will read."""
        import geopandas as gpd

        atomic_write(path, lambda tmp: gdf.to_parquet(tmp, index=False, write_covering_bbox=False))
        record = {"layer": name, "fingerprint": fp, "sha256": _sha256_path(path), "rows": len(gdf)}
        atomic_write(_checksum_path(path), lambda tmp: tmp.write_text(json.dumps(record), encoding="utf-8"))
        return gpd.read_parquet(path)  # what every later load sees, byte for byte

    def _read_cached(self, name: str, fp: str, path: Path) -> Any:
        """A cached build, or None (after a warning) when its checksum record is missing or disagrees.

        Every cache entry carries the SHA-256 of its file, the layer name and the fingerprint of the
        inputs it was built from; a truncated, corrupted, swapped or edited file is rebuilt, never used.
        """
        import geopandas as gpd

        problem = None
        try:
            record = json.loads(_checksum_path(path).read_text(encoding="utf-8"))
            if not isinstance(record, dict):
                problem = "its checksum record is not a JSON object"
            elif record.get("layer") != name or record.get("fingerprint") != fp:
                problem = "its checksum record belongs to another layer or build"
            elif record.get("sha256") != _sha256_path(path):
                problem = "its content does not match its checksum (truncated or modified)"
        except FileNotFoundError:
            problem = "it has no checksum record"
        except (OSError, ValueError) as exc:
            problem = f"its checksum record is unreadable ({type(exc).__name__})"
        gdf = None
        if problem is None:
            try:
                gdf = gpd.read_parquet(path)
            except Exception as exc:  # checksum right but unreadable: a file written by something else
                problem = f"it cannot be read ({type(exc).__name__})"
        if problem is None and (gdf.crs != STORAGE_CRS or len(gdf) != record.get("rows")):
            problem = "its CRS or row count differs from what was built"
        if problem is not None:
            import warnings

            warnings.warn(
                f"cached layer {name!r} ({path.name}) not used: {problem}; rebuilding it",
                LinfenGeoWarning,
                stacklevel=4,
            )
            return None
        return gdf

    # ---------------------------------------------------------------- the table
    def table(self, *, build: bool = False) -> pd.DataFrame:
        """One row per layer: names, kind, status, provenance, feature count and CRS.

        Parameters
        ----------
        build
            Build (or read from cache) every built layer to report its feature count.
            Otherwise unbuilt layers show no count.
        """
        rows = []
        facts_path = self.cache_dir / "catalog-facts.json"
        try:
            facts = json.loads(facts_path.read_text(encoding="utf-8"))
            facts = facts if isinstance(facts, dict) else {}
        except (OSError, ValueError):
            facts = {}
        changed = False
        for name, spec in self.specs.items():
            prov = self.provenance(name)
            count: Any = pd.NA
            crs = ""
            geometry = "raster" if spec.kind == "raster" else "/".join(spec.schema.geometry)
            resolution = prov["accuracy"]
            fp = self.fingerprint(name)
            known = facts.get(name)
            if isinstance(known, dict) and known.get("fingerprint") == fp and "status" in known:
                # counted before, same content (the fingerprint covers files, code and plan sections)
                count, crs, resolution, status = known["count"], known["crs"], known["resolution"], known["status"]
            elif build or name in self.replacements or spec.file or self.is_built(name):
                obj = self.load(name)
                if spec.kind == "raster":
                    res = obj.rio.resolution()
                    count = int(obj.size)
                    crs = crs_label(obj.rio.crs)
                    unit = "deg" if obj.rio.crs.is_geographic else "m"
                    resolution = f"{abs(res[0]):.6g} x {abs(res[1]):.6g} {unit}; {resolution}"
                else:
                    count = len(obj)
                    crs = crs_label(obj.crs)
                status = self.status(name)
                facts[name] = {
                    "fingerprint": fp, "count": int(count), "crs": crs, "resolution": resolution, "status": status,
                }  # fmt: skip
                changed = True
            else:
                status = self.status(name)
            rows.append(
                {
                    "name": name,
                    "title_zh": spec.title_zh,
                    "title_en": spec.title_en,
                    "geometry": geometry,
                    "status": status,
                    "source": prov["source"],
                    "licence": prov["licence"],
                    "accuracy": resolution,
                    "features": count,
                    "crs": crs,
                    "path": prov["path"],
                }
            )
        if changed:  # what loading told us, keyed by content: the next table() needs no load (issue 16)
            with contextlib.suppress(OSError):  # a read-only cache only makes the next call slower
                atomic_write(facts_path, lambda tmp: tmp.write_text(json.dumps(facts), encoding="utf-8"))
        df = pd.DataFrame(rows)
        df["features"] = df["features"].astype("Int64")
        return df


_CATALOG: Catalog | None = None


def get_catalog() -> Catalog:
    """The session's default catalog (created on first use)."""
    global _CATALOG
    if _CATALOG is None:
        _CATALOG = Catalog()
    return _CATALOG


def catalog(*, build: bool = False) -> pd.DataFrame:
    """The catalog table: one row per layer with provenance (see :meth:`Catalog.table`)."""
    return get_catalog().table(build=build)


def load(name: str) -> Any:
    """Load layer ``name`` from the default catalog (see :meth:`Catalog.load`)."""
    return get_catalog().load(name)


def use(name: str, path: str | os.PathLike[str], **options: Any) -> None:
    """Replace layer ``name`` by your own file (see :meth:`Catalog.use`).

    Examples
    --------
    >>> import linfen_geo as lg
    >>> lg.use("redlines", "official/redlines.shp", source="临汾市自然资源局 2023")  # doctest: +SKIP
    """
    get_catalog().use(name, path, **options)


def register(name: str, path: str | os.PathLike[str], **options: Any) -> None:
    """Add a new layer of yours to the session's catalog (see :meth:`Catalog.register`).

    Examples
    --------
    >>> import linfen_geo as lg
    >>> lg.register("basic_farmland", "official/yjjbnt.gpkg", id="BSM", title_zh="永久基本农田")  # doctest: +SKIP
    """
    get_catalog().register(name, path, **options)


def reset(name: str | None = None) -> None:
    """Drop a replacement made with :func:`use` (all of them if ``name`` is None)."""
    get_catalog().reset(name)


def use_plan(path: str | os.PathLike[str] | None) -> None:
    """Use an edited plan file for every later build (None: the packaged plan)."""
    get_catalog().use_plan(path)
