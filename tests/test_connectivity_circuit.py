"""Circuit engine against a dense numpy solve of the same resistor network, built independently here."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from linfen_geo.connectivity import (
    circuit_advanced,
    circuit_all_to_one,
    circuit_one_to_all,
    circuit_pairwise,
    conductance_grid,
)
from linfen_geo.errors import GeographicCRSError, InputError

RTOL = 1e-9


def _dense_network(res: np.ndarray, neighbours: int, average: str):
    """Node per valid cell (row-major), dense Laplacian, and the edge list; plain loops, no shared code."""
    ny, nx = res.shape
    cells = [(r, c) for r in range(ny) for c in range(nx) if np.isfinite(res[r, c])]
    idx = {rc: i for i, rc in enumerate(cells)}
    n = len(cells)
    lap = np.zeros((n, n))
    edges = []
    steps = [(0, 1, 1.0), (1, 0, 1.0)] + ([(1, 1, np.sqrt(2)), (1, -1, np.sqrt(2))] if neighbours == 8 else [])
    for (r, c), i in idx.items():
        for dr, dc, d in steps:
            j = idx.get((r + dr, c + dc))
            if j is None:
                continue
            a, b = res[r, c], res[r + dr, c + dc]
            g = (1 / a + 1 / b) / 2 if average == "conductance" else 1 / ((a + b) / 2)
            g /= d
            lap[i, i] += g
            lap[j, j] += g
            lap[i, j] -= g
            lap[j, i] -= g
            edges.append((i, j, g))
    return cells, idx, lap, edges


def _solve_grounded(lap: np.ndarray, grounded: list[int], b: np.ndarray, comp: list[int]) -> np.ndarray:
    free = [i for i in comp if i not in grounded]
    v = np.zeros(len(lap))
    v[free] = np.linalg.solve(lap[np.ix_(free, free)], b[free])
    return v


def _components(lap: np.ndarray) -> list[list[int]]:
    n = len(lap)
    seen, comps = set(), []
    for s in range(n):
        if s in seen:
            continue
        stack, comp = [s], []
        seen.add(s)
        while stack:
            i = stack.pop()
            comp.append(i)
            for j in np.flatnonzero(lap[i] != 0):
                if j not in seen:
                    seen.add(int(j))
                    stack.append(int(j))
        comps.append(sorted(comp))
    return comps


def _node_current(edges, v, n, inject=None) -> np.ndarray:
    """Half the sum of |branch currents|, plus half the injected current (a source or a ground)."""
    tot = np.zeros(n)
    for i, j, g in edges:
        f = abs(g * (v[i] - v[j]))
        tot[i] += f
        tot[j] += f
    out = tot / 2
    if inject is not None:
        out += np.abs(inject) / 2
    return out


def _grid(cells, values, shape) -> np.ndarray:
    out = np.zeros(shape)
    for (r, c), x in zip(cells, values, strict=True):
        out[r, c] = x
    return out


def _landscape(seed: int, shape=(9, 11), two_components: bool = False) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    res = rng.lognormal(0.0, 1.0, shape)
    res[rng.random(shape) < 0.12] = np.nan
    if two_components:
        res[:, shape[1] // 2] = np.nan
    focal = np.zeros(shape)
    ok = np.argwhere(np.isfinite(res))
    pick = ok[rng.choice(len(ok), 5, replace=False)]
    for k, (r, c) in enumerate(pick, start=1):
        focal[r, c] = k
    return res, focal


CASES = list(itertools.product([4, 8], ["conductance", "resistance"], [False, True]))


@pytest.mark.parametrize(("neighbours", "average", "split"), CASES)
def test_pairwise_matches_dense_solve(neighbours, average, split):
    res, focal = _landscape(3 + neighbours, two_components=split)
    cells, idx, lap, edges = _dense_network(res, neighbours, average)
    comps = _components(lap)
    comp_of = {i: k for k, c in enumerate(comps) for i in c}
    r = circuit_pairwise(
        res, focal, neighbours=neighbours, average=average, pair_maps=True, voltage_maps=True, max_current=True
    )
    pts = {int(focal[rc]): i for rc, i in idx.items() if focal[rc] > 0}
    cum = np.zeros(res.shape)
    mx = np.full(res.shape, -9999.0)
    for a, b in itertools.combinations(sorted(pts), 2):
        i, j = pts[a], pts[b]
        got = r.resistance[a - 1, b - 1]
        if comp_of[i] != comp_of[j]:
            assert got == -1
            assert (a, b) not in r.currents
            continue
        inj = np.zeros(len(lap))
        inj[j], inj[i] = 1.0, -1.0
        v = _solve_grounded(lap, [i], inj, comps[comp_of[i]])
        assert got == pytest.approx(v[j], rel=RTOL)
        np.testing.assert_allclose(r.voltages[a, b], _grid(cells, v, res.shape), rtol=1e-8, atol=1e-10)
        cur = _grid(cells, _node_current(edges, v, len(lap), inj), res.shape)
        np.testing.assert_allclose(r.currents[a, b], cur, rtol=1e-8, atol=1e-10)
        cum += cur
        mx = np.maximum(mx, cur)
    np.testing.assert_allclose(r.cumulative_current, cum, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(r.max_current, mx, rtol=1e-8, atol=1e-10)
    assert np.all(np.diag(r.resistance) == 0)
    np.testing.assert_array_equal(r.resistance, r.resistance.T)


@pytest.mark.parametrize(("neighbours", "average"), [(4, "resistance"), (8, "conductance")])
def test_one_to_all_and_all_to_one_match_dense_solve(neighbours, average):
    res, focal = _landscape(11, two_components=True)
    cells, idx, lap, edges = _dense_network(res, neighbours, average)
    comps = _components(lap)
    comp_of = {i: k for k, c in enumerate(comps) for i in c}
    pts = {int(focal[rc]): i for rc, i in idx.items() if focal[rc] > 0}
    one = circuit_one_to_all(res, focal, neighbours=neighbours, average=average, point_maps=True, voltage_maps=True)
    allo = circuit_all_to_one(res, focal, neighbours=neighbours, average=average, point_maps=True, voltage_maps=True)
    for k, (p, i) in enumerate(sorted(pts.items())):
        others = [j for q, j in pts.items() if q != p and comp_of[j] == comp_of[i]]
        if not others:
            assert one.resistance[k] == -1 and allo.resistance[k] == -1
            continue
        inj = np.zeros(len(lap))
        inj[i] = 1.0
        v = _solve_grounded(lap, others, inj, comps[comp_of[i]])
        assert one.resistance[k] == pytest.approx(v[i], rel=RTOL)
        np.testing.assert_allclose(one.voltages[p], _grid(cells, v, res.shape), rtol=1e-8, atol=1e-10)
        tot = np.zeros(len(lap))
        tot[others] = lap[others] @ v  # current leaving into each ground
        cur = _grid(cells, _node_current(edges, v, len(lap), inj - tot), res.shape)
        np.testing.assert_allclose(one.currents[p], cur, rtol=1e-8, atol=1e-10)
        inj = np.zeros(len(lap))
        inj[others] = 1.0
        v = _solve_grounded(lap, [i], inj, comps[comp_of[i]])
        assert allo.resistance[k] == 0
        np.testing.assert_allclose(allo.voltages[p], _grid(cells, v, res.shape), rtol=1e-8, atol=1e-10)
        inj[i] = -len(others)
        cur = _grid(cells, _node_current(edges, v, len(lap), inj), res.shape)
        np.testing.assert_allclose(allo.currents[p], cur, rtol=1e-8, atol=1e-10)


def test_advanced_with_resistive_and_direct_grounds():
    res, _ = _landscape(5)
    cells, idx, lap, _edges = _dense_network(res, 8, "conductance")
    comp = _components(lap)[0]
    rng = np.random.default_rng(1)
    src, gnd = np.zeros(res.shape), np.full(res.shape, np.nan)
    s_cells = [cells[i] for i in rng.choice(comp, 3, replace=False)]
    g_cells = [cells[i] for i in comp if cells[i] not in s_cells][:4]
    for rc in s_cells:
        src[rc] = rng.uniform(0.5, 2)
    gnd[g_cells[0]] = 0.0  # direct ground
    for rc in g_cells[1:]:
        gnd[rc] = rng.uniform(1, 5)  # resistance to ground
    r = circuit_advanced(res, src, gnd)
    lap2 = lap.copy()
    ground_g = np.zeros(len(lap))
    for rc in g_cells[1:]:
        ground_g[idx[rc]] = 1 / gnd[rc]
    lap2[np.diag_indices(len(lap))] += ground_g
    b = np.zeros(len(lap))
    for rc in s_cells:
        b[idx[rc]] = src[rc]
    v = _solve_grounded(lap2, [idx[g_cells[0]]], b, comp)
    want_v = _grid(cells, v, res.shape)
    for other in _components(lap)[1:]:  # components without sources stay at 0
        for i in other:
            want_v[cells[i]] = 0.0
    np.testing.assert_allclose(r.voltage, want_v, rtol=1e-9, atol=1e-12)
    assert r.solved_components == 1


def test_short_circuit_region_is_one_node():
    res, focal = _landscape(8)
    reg = np.zeros(res.shape, dtype=int)
    reg[2:5, 3:7] = 1
    reg[np.isnan(res) & (reg == 1)] = 0
    focal[reg == 1] = 0
    focal[0, 0], focal[-1, -1] = 6, 7
    res[0, 0] = res[-1, -1] = 1.0
    r = circuit_pairwise(res, focal, short_circuit=reg, current_maps=False)
    cells, idx, lap, _ = _dense_network(res, 8, "conductance")
    merged = [idx[rc] for rc in cells if reg[rc] == 1]
    keep = [i for i in range(len(lap)) if i not in merged[1:]]
    m = lap.copy()  # merging nodes: add their rows and columns into the first one
    m[merged[0]] = m[merged].sum(axis=0)
    m[:, merged[0]] = m[:, merged].sum(axis=1)
    m = m[np.ix_(keep, keep)]
    pos = {i: k for k, i in enumerate(keep)}
    pts = {int(focal[rc]): pos[i] for rc, i in idx.items() if focal[rc] > 0}
    comp = list(range(len(m)))
    for a, b in [(6, 7), (1, 6), (2, 7)]:
        inj = np.zeros(len(m))
        inj[pts[b]] = 1.0
        v = _solve_grounded(m, [pts[a]], inj, comp)
        assert r.resistance[a - 1, b - 1] == pytest.approx(v[pts[b]], rel=RTOL)


def test_amg_matches_direct_and_uses_k_minus_1_solves(monkeypatch):
    from linfen_geo.connectivity import _solve

    rng = np.random.default_rng(0)
    res = rng.lognormal(0, 1, (120, 130))
    focal = np.zeros(res.shape)
    for k, (r, c) in enumerate(rng.integers(0, 120, (6, 2)), start=1):
        focal[r, c] = k
    calls = []
    orig = _solve.GroundedSolver.solve_many
    monkeypatch.setattr(_solve.GroundedSolver, "solve_many", lambda self, b: calls.append(b.shape[1]) or orig(self, b))
    amg = circuit_pairwise(res, focal, solver="amg", rtol=1e-12, current_maps=True)
    assert calls == [5]  # 15 pairs of 6 points: 5 right-hand sides, one hierarchy
    direct = circuit_pairwise(res, focal, solver="direct", current_maps=True)
    np.testing.assert_allclose(amg.resistance, direct.resistance, rtol=1e-8)
    np.testing.assert_allclose(amg.cumulative_current, direct.cumulative_current, rtol=1e-6, atol=1e-9)


def test_focal_regions_pairwise_short_each_pair():
    res = np.ones((6, 8))
    focal = np.zeros((6, 8))
    focal[0:2, 0] = 1  # a region of two cells
    focal[5, 7] = 2
    focal[3, 4] = 3
    r = circuit_pairwise(res, focal, neighbours=4)
    reg = np.zeros((6, 8), dtype=int)
    reg[0:2, 0] = 1
    f12 = np.zeros((6, 8))
    f12[0, 0], f12[5, 7] = 1, 2
    assert r.resistance[0, 1] == pytest.approx(
        circuit_pairwise(res, f12, neighbours=4, short_circuit=reg).resistance[0, 1], rel=1e-12
    )


def test_include_and_exclude_pairs():
    res, focal = _landscape(2)
    full = circuit_pairwise(res, focal, current_maps=False)
    inc = circuit_pairwise(res, focal, include_pairs=[(1, 2), (2, 3)], current_maps=False)
    assert inc.ids.tolist() == [1, 2, 3]
    assert inc.resistance[0, 1] == pytest.approx(full.resistance[0, 1], rel=1e-12)
    assert inc.resistance[0, 2] == -1
    exc = circuit_pairwise(res, focal, exclude_pairs=[(1, 2)], current_maps=False)
    assert exc.resistance[0, 1] == -1 and exc.resistance[2, 3] == pytest.approx(full.resistance[2, 3], rel=1e-12)


def test_bad_inputs():
    import rioxarray  # noqa: F401
    import xarray as xr

    res = np.ones((4, 4))
    focal = np.zeros((4, 4))
    focal[0, 0], focal[3, 3] = 1, 2
    with pytest.raises(InputError, match="resistance of zero or below"):
        circuit_pairwise(np.where(focal == 1, 0.0, res), focal)
    with pytest.raises(InputError, match="lies on no valid habitat cell"):
        circuit_pairwise(np.where(focal == 2, np.nan, res), focal)
    r = circuit_pairwise(np.where(focal == 2, np.nan, res), focal, focal_on_nodata="disconnected")
    assert r.resistance[0, 1] == -1
    with pytest.raises(InputError, match="fewer than two"):
        circuit_pairwise(res, np.where(focal == 2, 0, focal))
    da = xr.DataArray(res, dims=("y", "x"), coords={"y": [3.5, 2.5, 1.5, 0.5], "x": [0.5, 1.5, 2.5, 3.5]})
    with pytest.raises(GeographicCRSError):
        circuit_pairwise(da.rio.write_crs("EPSG:4326"), focal)
    assert conductance_grid(da.rio.write_crs("EPSG:4546")).shape == (4, 4)


def _georef(values: np.ndarray, band: bool = False):
    """A rioxarray DataArray in EPSG:4546, 30 m cells, nodata -9999 where values are NaN."""
    import rioxarray  # noqa: F401
    import xarray as xr

    ny, nx = values.shape
    da = xr.DataArray(
        np.where(np.isnan(values), -9999.0, values),
        dims=("y", "x"),
        coords={"y": 3_900_000.0 - 30.0 * (np.arange(ny) + 0.5), "x": 500_000.0 + 30.0 * (np.arange(nx) + 0.5)},
    )
    if band:
        da = da.expand_dims(band=[1])
    return da.rio.write_crs("EPSG:4546").rio.write_nodata(-9999.0)


def _check_map(da, ref: np.ndarray, hab, has_node: np.ndarray, units: str) -> None:
    import xarray as xr

    assert isinstance(da, xr.DataArray)
    grid = hab.squeeze(drop=True)
    assert da.dims == grid.dims == ("y", "x")
    for dim in ("x", "y"):
        assert da.indexes[dim].equals(grid.indexes[dim]) and da[dim].attrs == grid[dim].attrs
    assert da.rio.crs == grid.rio.crs
    assert da.rio.transform() == grid.rio.transform()
    assert np.isnan(da.rio.nodata) and np.isnan(da.attrs["_FillValue"])
    assert da.attrs["units"] == units and da.attrs["long_name"]
    np.testing.assert_array_equal(np.isnan(da.values), ~has_node)
    np.testing.assert_array_equal(da.values[has_node], ref[has_node])


@pytest.mark.parametrize("band", [False, True])
def test_dataarray_in_dataarray_out(band, tmp_path):
    import rioxarray
    import xarray as xr

    res, focal = _landscape(3, shape=(12, 14))
    hab = _georef(res, band=band)
    has_node = np.isfinite(res)
    kw = {"pair_maps": True, "voltage_maps": True, "max_current": True, "neighbours": 8}
    ref = circuit_pairwise(res, focal, **kw)
    out = circuit_pairwise(hab, focal, **kw)
    np.testing.assert_array_equal(out.resistance, ref.resistance)
    _check_map(out.cumulative_current, ref.cumulative_current, hab, has_node, "A")
    assert out.cumulative_current.name == "cumulative_current"
    _check_map(out.max_current, ref.max_current, hab, has_node, "A")
    assert set(out.currents) == set(ref.currents) and set(out.voltages) == set(ref.voltages)
    for key in ref.currents:
        _check_map(out.currents[key], ref.currents[key], hab, has_node, "A")
        _check_map(out.voltages[key], ref.voltages[key], hab, has_node, "V")
    assert out.voltages[1, 2].name == "voltage_1_2"
    # the maps write and read back as GeoTIFF with their CRS, transform and nodata
    path = tmp_path / "cum.tif"
    out.cumulative_current.rio.to_raster(path)
    back = rioxarray.open_rasterio(path, masked=True).squeeze(drop=True)
    assert back.rio.crs == hab.rio.crs and back.rio.transform() == hab.squeeze(drop=True).rio.transform()
    np.testing.assert_array_equal(np.isnan(back.values), ~has_node)
    np.testing.assert_allclose(back.values[has_node], ref.cumulative_current[has_node], rtol=1e-15)
    # one-to-all / all-to-one and advanced mode too
    for fn in (circuit_one_to_all, circuit_all_to_one):
        r0 = fn(res, focal, point_maps=True, voltage_maps=True)
        r1 = fn(hab, focal, point_maps=True, voltage_maps=True)
        _check_map(r1.cumulative_current, r0.cumulative_current, hab, has_node, "A")
        for n in r0.currents:
            _check_map(r1.currents[n], r0.currents[n], hab, has_node, "A")
            _check_map(r1.voltages[n], r0.voltages[n], hab, has_node, "V")
    src = np.where(focal == 1, 1.0, 0.0)
    gnd = np.where(focal == 2, 0.0, np.nan)
    a0 = circuit_advanced(res, src, gnd)
    a1 = circuit_advanced(hab, src, gnd)
    _check_map(a1.voltage, a0.voltage, hab, has_node, "V")
    _check_map(a1.current, a0.current, hab, has_node, "A")
    assert isinstance(xr.Dataset({"v": a1.voltage, "c": a1.current}), xr.Dataset)


def test_numpy_in_numpy_out():
    res, focal = _landscape(4)
    r = circuit_pairwise(res, focal, pair_maps=True, voltage_maps=True, max_current=True)
    maps = [r.cumulative_current, r.max_current, *r.currents.values(), *r.voltages.values()]
    f = circuit_one_to_all(res, focal, point_maps=True, voltage_maps=True)
    maps += [f.cumulative_current, *f.currents.values(), *f.voltages.values()]
    a = circuit_advanced(res, np.where(focal == 1, 1.0, 0.0), np.where(focal == 2, 0.0, np.nan))
    maps += [a.voltage, a.current]
    assert all(type(m) is np.ndarray and m.shape == res.shape for m in maps)
    assert np.all(r.cumulative_current[np.isnan(res)] == 0.0)  # no NaN in numpy maps (Circuitscape's 0)


def test_dataarray_focal_regions_keep_their_nodata_cells():
    res = np.ones((6, 8))
    res[0, 0] = np.nan  # a focal region's nodata cell joins its node (Circuitscape)
    focal = np.zeros((6, 8))
    focal[0:2, 0] = 1
    focal[5, 7] = 2
    focal[3, 4] = 3
    ref = circuit_pairwise(res, focal, neighbours=4)
    out = circuit_pairwise(_georef(res), focal, neighbours=4)
    assert not np.isnan(out.cumulative_current.values[0, 0])
    assert out.cumulative_current.values[0, 0] == ref.cumulative_current[0, 0] > 0
