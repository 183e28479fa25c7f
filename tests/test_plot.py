"""Maps render Chinese with a real CJK font (no tofu boxes)."""

import matplotlib
import pytest
from matplotlib.ft2font import FT2Font

from linfen_geo.viz.fonts import cjk_font_path, set_cjk_font
from linfen_geo.viz.maps import plot_layers


def test_cjk_font_has_every_glyph_we_draw(catalog):
    path = cjk_font_path()
    font = FT2Font(str(path))
    names = "".join(catalog.load("counties")["name"]) + "临汾市生态保护红线屏障廊道矿山图例北亩"
    missing = [ch for ch in set(names) if font.get_char_index(ord(ch)) == 0]
    assert missing == []


def test_set_cjk_font_makes_it_default():
    name = set_cjk_font()
    assert matplotlib.rcParams["font.sans-serif"][0] == name
    from matplotlib import font_manager

    found = font_manager.findfont(font_manager.FontProperties(family=name), fallback_to_default=False)
    assert found == str(cjk_font_path())


def test_overview_map_writes_png(tmp_path, catalog):
    out = tmp_path / "map.png"
    fig = plot_layers(["counties", "rivers", "county_seats"], catalog=catalog, out=out, hillshade=False, dpi=60)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "尧都区" in texts
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any("河流" in t for t in legend)


def test_missing_font_is_a_clear_error(monkeypatch, tmp_path):
    import linfen_geo as lg

    monkeypatch.setenv("LINFEN_GEO_FONT", str(tmp_path / "none.otf"))
    with pytest.raises(lg.DataMissingError, match="LINFEN_GEO_FONT"):
        cjk_font_path()


def test_use_cjk_font_is_a_deprecated_alias():
    import pytest

    from linfen_geo.viz.fonts import use_cjk_font

    with pytest.warns(DeprecationWarning, match="set_cjk_font"):
        assert use_cjk_font() == set_cjk_font()
