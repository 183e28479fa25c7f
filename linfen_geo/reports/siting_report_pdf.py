"""A4 PDF pages of the siting compliance report, drawn with matplotlib (``PdfPages``, bundled CJK font).

The content comes from :func:`linfen_geo.reports.siting_report.report_document`; this
module only lays it out: a cursor runs down the page, text is wrapped by its width
(CJK characters counted twice as wide as Latin ones), tables break across pages with
their header repeated, and each site starts on a new page. Fonts are embedded as
TrueType (``pdf.fonttype`` 42), so the text can be searched and extracted.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib
import pandas as pd
from matplotlib.lines import Line2D

if TYPE_CHECKING:
    from linfen_geo.analysis.siting import SitingReport

__all__ = ["render_pdf", "wrap_text"]

PAGE_W, PAGE_H = 8.27, 11.69  # A4, inches
LEFT, RIGHT, TOP, BOTTOM = 0.6, 0.6, 0.6, 0.7
CONTENT_W = PAGE_W - LEFT - RIGHT


def _char_w(ch: str) -> float:
    """Width of a character in ems (approximate: CJK 1, Latin 0.55)."""
    return 1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.52


def wrap_text(text: str, width_in: float, size: float) -> list[str]:
    """Break text into lines no wider than ``width_in`` inches at ``size`` points (breaks at spaces if it can).

    Examples
    --------
    >>> wrap_text("占用生态保护红线 overlaps a red line", 1.0, 8)
    ['占用生态保护红线', 'overlaps a red', 'line']
    """
    limit = width_in * 72.0 / size  # ems
    out: list[str] = []
    for para in str(text).split("\n"):
        line, w, last_space = "", 0.0, -1
        for ch in para:
            cw = _char_w(ch)
            if w + cw > limit and line:
                if ch != " " and last_space > 0:  # move the unfinished word to the next line
                    out.append(line[:last_space].rstrip())
                    line = line[last_space + 1 :]
                else:
                    out.append(line.rstrip())
                    line = ""
                w = sum(_char_w(c) for c in line)
                last_space = line.rfind(" ")
                if ch == " " and not line:
                    continue
            if ch == " ":
                last_space = len(line)
            line += ch
            w += cw
        out.append(line.rstrip())
    return out or [""]


class _Pages:
    """A cursor over A4 figures saved one by one into ``PdfPages``."""

    def __init__(self, pdf: Any, footer: str) -> None:
        self.pdf = pdf
        self.footer = footer
        self.fig: Any = None
        self.page = 0
        self.y = 0.0
        self.running = ""  # heading repeated on continuation pages

    def new_page(self, running: str | None = None) -> None:
        import matplotlib.pyplot as plt

        self.finish()
        if running is not None:
            self.running = running
        self.fig = plt.figure(figsize=(PAGE_W, PAGE_H))
        self.page += 1
        self.y = PAGE_H - TOP
        if self.running and running is None:
            self.text(f"{self.running} (续 continued)", size=8, color="#555555")

    def finish(self) -> None:
        import matplotlib.pyplot as plt

        if self.fig is None:
            return
        self.fig.text(LEFT / PAGE_W, 0.35 / PAGE_H, self.footer, fontsize=6.5, color="#555555")
        self.fig.text(1 - RIGHT / PAGE_W, 0.35 / PAGE_H, f"- {self.page} -", fontsize=7, ha="right")
        self.pdf.savefig(self.fig)
        plt.close(self.fig)
        self.fig = None

    def need(self, h: float) -> None:
        if self.fig is None or self.y - h < BOTTOM:
            self.new_page()

    def space(self, h: float) -> None:
        self.y -= h

    def text(
        self, s: str, *, size: float = 8.5, weight: str = "normal", color: str = "black", indent: float = 0.0
    ) -> None:
        lh = size * 1.45 / 72.0
        for line in wrap_text(s, CONTENT_W - indent, size):
            self.need(lh)
            self.y -= lh
            self.fig.text((LEFT + indent) / PAGE_W, self.y / PAGE_H, line, fontsize=size, weight=weight, color=color)
        self.y -= 0.45 * lh  # descenders clear of what follows

    def hline(self, x0: float, x1: float, lw: float = 0.4) -> None:
        self.fig.add_artist(
            Line2D(
                [x0 / PAGE_W, x1 / PAGE_W], [self.y / PAGE_H] * 2, transform=self.fig.transFigure, lw=lw, color="#444"
            )
        )

    def box(self, s: str, *, size: float, color: str, fg: str = "white") -> None:
        h = size * 2.0 / 72.0
        self.need(h + 0.1)
        self.y -= h
        self.fig.text(
            LEFT / PAGE_W, (self.y + 0.3 * size / 72) / PAGE_H, s, fontsize=size, color=fg,
            bbox={"boxstyle": "round,pad=0.3", "fc": color, "ec": color},
        )  # fmt: skip
        self.y -= 0.1

    def warning(self, s: str) -> None:
        size = 8.0
        lines = wrap_text(s, CONTENT_W - 0.2, size)
        lh = size * 1.45 / 72.0
        h = lh * len(lines) + 0.12
        self.need(h)
        top = self.y
        self.y -= 0.06
        for line in lines:
            self.y -= lh
            self.fig.text((LEFT + 0.1) / PAGE_W, self.y / PAGE_H, line, fontsize=size, color="#b31d28")
        self.y -= 0.06
        from matplotlib.patches import Rectangle

        self.fig.add_artist(
            Rectangle(
                (LEFT / PAGE_W, self.y / PAGE_H), CONTENT_W / PAGE_W, (top - self.y) / PAGE_H,
                transform=self.fig.transFigure, fill=False, ec="#b31d28", lw=1.2,
            )
        )  # fmt: skip
        self.y -= 0.08

    def table(self, df: pd.DataFrame, widths: list[float], *, size: float = 6.5, width_in: float = CONTENT_W) -> None:
        """A table ``width_in`` wide: column widths in proportion to ``widths``; rows wrap; the header repeats."""
        total = sum(widths)
        cols_w = [w / total * width_in for w in widths]
        right = LEFT + width_in
        xs = [LEFT + sum(cols_w[:i]) for i in range(len(cols_w))]
        lh = size * 1.35 / 72.0
        pad = 0.022

        def cells(values: list[Any]) -> list[list[str]]:
            return [wrap_text(str(v), w - 2 * pad, size) for v, w in zip(values, cols_w, strict=True)]

        def draw(wrapped: list[list[str]], bold: bool) -> None:
            h = max(len(c) for c in wrapped) * lh + 2 * pad
            top = self.y
            for x, lines in zip(xs, wrapped, strict=True):
                yy = top - pad
                for line in lines:
                    yy -= lh
                    self.fig.text(
                        (x + pad) / PAGE_W, (yy + 0.2 * lh) / PAGE_H, line, fontsize=size,
                        color="black" if bold else "#111111",
                    )  # fmt: skip
            self.y = top - h
            self.hline(LEFT, right, lw=0.6 if bold else 0.3)

        header = cells(list(df.columns))
        head_h = max(len(c) for c in header) * lh + 2 * pad

        def start() -> None:
            self.hline(LEFT, right, lw=0.6)
            draw(header, True)

        self.need(head_h + lh + 2 * pad)
        start()
        for row in df.itertuples(index=False, name=None):
            wrapped = cells(list(row))
            h = max(len(c) for c in wrapped) * lh + 2 * pad
            if self.y - h < BOTTOM:
                self.new_page()
                start()
            draw(wrapped, False)
        self.y -= 0.08

    def map(self, draw: Any, w: float, h: float) -> Any:
        """Reserve ``w`` x ``h`` inches, call ``draw(ax)``, then shrink the box to the map's aspect."""
        self.need(h + 0.85)
        top = self.y - 0.3  # the map's title above it
        x0 = LEFT + 0.35
        ax = self.fig.add_axes([x0 / PAGE_W, (top - h) / PAGE_H, w / PAGE_W, h / PAGE_H])
        canvas = self.fig.canvas
        canvas.draw_idle = lambda *a, **k: (
            None
        )  # geopandas redraws the figure after each layer: the page once is enough
        try:
            draw(ax)
        finally:
            del canvas.draw_idle  # back to the class's method
        (x_lo, x_hi), (y_lo, y_hi) = ax.get_xlim(), ax.get_ylim()
        ratio = (y_hi - y_lo) / (x_hi - x_lo) if x_hi > x_lo else 1.0
        aw, ah = (w, w * ratio) if w * ratio <= h else (h / ratio, h)
        ax.set_position([x0 / PAGE_W, (top - ah) / PAGE_H, aw / PAGE_W, ah / PAGE_H])
        self.y = top - ah - 0.5  # tick labels and the axis label under the map
        return ax


#: a site page shortens each layer's source to this many characters (the cover has them whole)
SOURCE_CHARS = 110


def _short(text: str) -> str:
    return text if len(text) <= SOURCE_CHARS else text[: SOURCE_CHARS - 1].rstrip() + "… (全文见封面 see cover)"


def _layers(p: _Pages, doc: Any, *, short: bool = False) -> None:
    p.text("核查图层 Layers checked", size=9)
    layers = doc.layers.assign(**{"来源 Source": doc.layers["来源 Source"].map(_short)}) if short else doc.layers
    p.table(layers, [1.1, 2.2, 0.9, 4.2, 1.0], size=6)
    if len(doc.not_checked):
        p.text("未核查图层 Layers not checked", size=9)
        p.table(doc.not_checked, [1.2, 1.0, 1.0, 4.0], size=6)


def _signature(p: _Pages, date: str) -> None:
    p.need(1.2)
    p.space(0.15)
    p.text("审核 Review", size=9)
    for label in ("审核人 Reviewer:", "审核意见 Remarks:", "日期 Date:"):
        p.space(0.32)
        p.fig.text(LEFT / PAGE_W, p.y / PAGE_H, label, fontsize=8.5)
        p.hline(LEFT + 1.4, LEFT + 5.0)
    p.space(0.1)
    p.text(f"报告日期 Report date: {date}", size=7, color="#555555")


def _two_up(df: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``df`` in two column groups side by side (first half left), a blank column between."""
    n = (len(df) + 1) // 2
    left = df.iloc[:n].reset_index(drop=True)
    right = df.iloc[n:].reset_index(drop=True).reindex(range(n)).fillna("")
    right.columns = [f"{c} " for c in df.columns]  # distinct names, same text
    return pd.concat([left, pd.DataFrame({"  ": [""] * n}), right], axis=1)


def render_pdf(report: SitingReport, doc: Any, path: str | Path) -> None:
    """Draw the report's pages into ``path`` (a PDF): the cover, then one section per site."""
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    from linfen_geo import __version__
    from linfen_geo.reports.siting_report import VERDICT_COLORS, draw_site_map
    from linfen_geo.viz.fonts import set_cjk_font

    set_cjk_font()
    footer = f"{doc.title.splitlines()[0]} - linfen-geo {__version__} - {doc.date}"
    with (
        matplotlib.rc_context({"pdf.fonttype": 42, "font.size": 8}),
        PdfPages(str(path), metadata={"Title": doc.title.replace("\n", " / "), "Creator": "linfen-geo"}) as pdf,
    ):
        p = _Pages(pdf, footer)
        p.new_page(running="")
        for line in doc.title.splitlines():
            p.text(line, size=15)
        p.space(0.1)
        p.text(f"日期 Date: {doc.date}    输入 Input: {doc.source}    地块数 Sites: {len(doc.sites)}", size=8.5)
        p.space(0.1)
        if doc.illustrative:
            p.warning(doc.illustrative)
        p.text("汇总 Summary", size=10)
        p.table(doc.summary, [1.0, 1.6, 1.0, 0.8, 1.3, 0.7, 0.7, 0.9, 1.0], size=6.5)
        _layers(p, doc)
        for line in doc.crs_lines:
            p.text(line, size=7, color="#444444")
        if doc.notes:
            p.text("说明 Notes", size=9)
            for n in doc.notes:
                p.text(f"- {n}", size=7)
        _signature(p, doc.date)
        for s in doc.sites:
            head = f"地块 Site {s.site_id} {s.name}".strip()
            p.new_page(running=head)
            p.text(head, size=13)
            p.space(0.05)
            p.box(f"{s.verdict_zh} {s.verdict.upper()}", size=22, color=VERDICT_COLORS.get(s.verdict, "#57606a"))
            if doc.illustrative:
                p.warning(doc.illustrative)
            for k, v in s.facts:
                p.text(f"{k}: {v}", size=8)
            p.map(lambda ax, sid=s.site_id: draw_site_map(report, sid, ax, legend_width_in=1.9), 4.6, 4.2)
            p.text("冲突与邻近 Contacts", size=9)
            if len(s.contacts):
                widths = [0.9, 1.5, 0.7, 0.6, 0.6, 0.6, 1.2, 3.0] + ([1.6] if "依据 Legal basis" in s.contacts else [])
                p.table(s.contacts, widths, size=6)
            else:
                p.text("无 None: 未触及任何管控要素 no contact with any control line", size=8)
            for note in s.notes:
                p.text(note, size=7)
            _layers(p, doc, short=True)
            p.text(f"界址点坐标 Boundary points ({s.jzd_crs})", size=9)
            if len(s.jzd) > 12:  # two column groups side by side: half the rows
                p.table(_two_up(s.jzd), [0.8, 0.6, 1.6, 1.6, 0.3, 0.8, 0.6, 1.6, 1.6], size=6.5)
            else:
                p.table(s.jzd, [0.8, 0.6, 1.6, 1.6], size=6.5, width_in=4.2)
            for line in doc.crs_lines:
                p.text(line, size=7, color="#444444")
            _signature(p, doc.date)
        p.finish()
    plt.close("all")
