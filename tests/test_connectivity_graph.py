"""PC / dPC / IIC / dIIC / ECA against brute force on small networkx graphs (all simple paths)."""

from __future__ import annotations

import itertools
import math

import networkx as nx
import numpy as np
import pytest

from linfen_geo.connectivity import connectivity_indices, patch_importance
from linfen_geo.connectivity.graph import max_product_probability, topological_links


def _random_graph(seed: int, n: int = 7):
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.5, 5, n)
    d = np.full((n, n), np.inf)
    g = nx.Graph()
    g.add_nodes_from(range(n))
    for i, j in itertools.combinations(range(n), 2):
        if rng.random() < 0.45:
            d[i, j] = d[j, i] = rng.uniform(100, 2000)
            g.add_edge(i, j, d=d[i, j])
    np.fill_diagonal(d, 0)
    return a, d, g


def _brute_pstar(g: nx.Graph, k: float) -> np.ndarray:
    n = g.number_of_nodes()
    p = np.eye(n)
    for i, j in itertools.permutations(g.nodes, 2):
        best = 0.0
        for path in nx.all_simple_paths(g, i, j):
            best = max(best, math.prod(math.exp(-k * g[u][v]["d"]) for u, v in itertools.pairwise(path)))
        p[i, j] = best
    return p


def _brute_num(g: nx.Graph, a: np.ndarray, metric: str, k: float, thr: float) -> float:
    nodes = list(g.nodes)
    if metric == "PC":
        p = _brute_pstar(nx.convert_node_labels_to_integers(g, ordering="sorted"), k)
        av = a[nodes]
        return float(av @ p @ av)
    h = nx.Graph()
    h.add_nodes_from(nodes)
    h.add_edges_from((u, v) for u, v, dd in g.edges(data="d") if dd <= thr)
    tot = 0.0
    for i in nodes:
        lengths = nx.single_source_shortest_path_length(h, i)
        for j, nl in lengths.items():
            tot += a[i] * a[j] / (1 + nl)
    return tot


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_pstar_and_topology_match_brute_force(seed):
    _, d, g = _random_graph(seed)
    k = -math.log(0.5) / 1000.0
    np.testing.assert_allclose(max_product_probability(d, k), _brute_pstar(g, k), rtol=1e-12)
    nl = topological_links(d, 1200.0)
    h = nx.Graph([(u, v) for u, v, dd in g.edges(data="d") if dd <= 1200.0])
    h.add_nodes_from(g.nodes)
    for i, j in itertools.product(g.nodes, repeat=2):
        want = nx.shortest_path_length(h, i, j) if nx.has_path(h, i, j) else np.inf
        assert nl[i, j] == want


@pytest.mark.parametrize(("metric", "seed"), [("PC", 0), ("PC", 4), ("IIC", 1), ("IIC", 5)])
def test_importance_matches_removal_brute_force(metric, seed):
    a, d, g = _random_graph(seed)
    kw = {"distance": 1000.0, "probability": 0.5} if metric == "PC" else {"threshold": 1200.0}
    k = -math.log(0.5) / 1000.0
    t = patch_importance(a, d, metric=metric, **kw)
    num = _brute_num(g, a, metric, k, 1200.0)
    idx = connectivity_indices(a, d, metric=metric, landscape_area=100.0, **kw)
    assert idx["numerator"] == pytest.approx(num, rel=1e-12)
    assert idx[metric] == pytest.approx(num / 1e4, rel=1e-12)
    assert idx["ECA" if metric == "PC" else "EC"] == pytest.approx(math.sqrt(num), rel=1e-12)
    for node in g.nodes:
        h = g.copy()
        h.remove_node(node)
        after = _brute_num(h, a, metric, k, 1200.0)
        row = t.loc[node]
        assert row[f"d{metric}"] == pytest.approx(100 * (num - after) / num, rel=1e-10, abs=1e-10)
        assert row[f"d{metric}intra"] == pytest.approx(100 * a[node] ** 2 / num, rel=1e-12)
        if metric == "PC":
            p = _brute_pstar(g, k)
            flux = 2 * sum(a[node] * a[j] * p[node, j] for j in g.nodes if j != node)
        else:
            h2 = nx.Graph([(u, v) for u, v, dd in g.edges(data="d") if dd <= 1200.0])
            h2.add_nodes_from(g.nodes)
            flux = 2 * sum(
                a[node] * a[j] / (1 + nl)
                for j, nl in nx.single_source_shortest_path_length(h2, node).items()
                if j != node
            )
        assert row[f"d{metric}flux"] == pytest.approx(100 * flux / num, rel=1e-10, abs=1e-10)
        total = row[f"d{metric}intra"] + row[f"d{metric}flux"] + row[f"d{metric}connector"]
        assert total == pytest.approx(row[f"d{metric}"], rel=1e-10, abs=1e-9)
        assert row[f"d{metric}connector"] >= -1e-9
