"""Interactive map: self-contained offline HTML with every layer, and a real-browser check."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import geopandas as gpd
import pytest

import linfen_geo as lg
from linfen_geo.crs import WORK_CRS
from linfen_geo.viz.maps import LAYER_STYLES
from linfen_geo.viz.webmap import write_map


@pytest.fixture(scope="module")
def sites_file(tmp_path_factory, catalog) -> Path:
    """Two project sites: one inside the largest red-line polygon, one in the Fen valley."""
    red = catalog.load("redlines").to_crs(WORK_CRS)
    inside = red.loc[red.area.idxmax(), "geometry"].representative_point().buffer(300)
    seats = catalog.load("county_seats").set_index("name").to_crs(WORK_CRS)
    valley = seats.loc["襄汾县", "geometry"].buffer(200)
    sites = gpd.GeoDataFrame(
        {"site_id": ["IN-RED", "VALLEY"], "name": ["红线内项目", "河谷项目"]}, geometry=[inside, valley], crs=WORK_CRS
    ).to_crs(4326)
    path = tmp_path_factory.mktemp("sites") / "sites.geojson"
    sites.to_file(path)
    return path


@pytest.fixture(scope="module")
def map_html(tmp_path_factory, catalog, sites_file) -> Path:
    out = tmp_path_factory.mktemp("map") / "map.html"
    return write_map(out, sites=sites_file, catalog=catalog)


def _layer_names(catalog):
    return [n for n in catalog.names() if n in LAYER_STYLES and catalog.spec(n).kind == "vector"]


def test_html_contains_every_layer_and_is_offline(map_html, catalog):
    text = map_html.read_text(encoding="utf-8")
    for name in _layer_names(catalog):
        spec = catalog.spec(name)
        assert spec.title_en in text, name
    assert "[示意 illustrative]" in text
    # no script, stylesheet, font or tile fetched from the network at view time
    assert re.findall(r'(?:src|href)\s*=\s*["\']https?://', text) == []
    assert "tile.openstreetmap" not in text
    assert "@font-face" in text  # Chinese renders without a system CJK font
    assert 'proj4.defs("EPSG:4546"' in text
    assert "IN-RED" in text
    assert "prohibited" in text


def test_write_map_never_overwrites(map_html, catalog):
    with pytest.raises(lg.InputError, match="exists"):
        write_map(map_html, ["counties"], catalog=catalog)


def test_web_basemap_is_announced(tmp_path, catalog):
    path = write_map(tmp_path / "web.html", ["counties"], catalog=catalog, basemap="OpenStreetMap")
    text = path.read_text(encoding="utf-8")
    assert "fetched online" in text
    assert "openstreetmap" in text.lower()


def _browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not (chromium and driver):
        pytest.skip("Chromium/chromedriver not installed (scripts/test.sh installs Debian's chromium packages as root)")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,900",
    ):
        opts.add_argument(arg)
    opts.binary_location = chromium
    return webdriver.Chrome(service=Service(driver), options=opts)


def test_map_renders_in_a_real_browser(map_html, catalog, tmp_path, sites_file):
    from matplotlib.image import imread
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    d = _browser()
    try:
        d.get(map_html.resolve().as_uri())
        wait = WebDriverWait(d, 30)
        wait.until(lambda drv: drv.find_elements(By.CSS_SELECTOR, ".leaflet-control-layers-overlays label"))
        entries = d.find_elements(By.CSS_SELECTOR, ".leaflet-control-layers-overlays label")
        # every layer + the hillshade + the project sites
        assert len(entries) == len(_layer_names(catalog)) + 2
        errors = [e for e in d.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == []
        shot = tmp_path / "map.png"
        d.save_screenshot(str(shot))
        img = imread(shot)
        assert img.shape[0] > 500
        assert img[..., :3].std() > 0.05  # not blank
        # zoom to the first site, as a user would, then click it
        site_geom = gpd.read_file(sites_file).geometry.iloc[0].centroid
        d.execute_script(f"window.lgMap.setView([{site_geom.y}, {site_geom.x}], 14, {{animate: false}});")
        site = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "path.lg-site")))
        site.click()
        popup = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, ".leaflet-popup-content")))
        time.sleep(0.2)
        assert "IN-RED" in popup.text
        assert "verdict" in popup.text
        coords = d.find_element(By.ID, "lg-coords").text
        assert "EPSG:4546" in coords  # the click also shows GK coordinates
    finally:
        d.quit()
