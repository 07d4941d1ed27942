"""Render the documentation's maths to SVG with matplotlib at build time.

Sphinx's default, MathJax, typesets the formulas in the reader's browser with
JavaScript fetched from a CDN: read off-line, the pages show raw LaTeX. This
extension turns every ``:math:`` role and ``.. math::`` block into an SVG
image while the site is built, using matplotlib's own TeX parser (mathtext).
matplotlib is already in the ``docs`` extra for the gallery, so nothing else is
installed: no LaTeX, no dvipng or dvisvgm, no vendored JavaScript. The images
are embedded in the page (data URIs), so a page is readable on its own.

mathtext reads a large subset of TeX (fractions, sums, sub- and superscripts,
Greek letters, ``\\|``, ``\\,``); a formula it cannot parse is a warning, so
it fails the ``-W`` build with matplotlib's message rather than showing raw TeX.
"""

import base64
import html
import io
import re
from functools import lru_cache

from docutils import nodes
from sphinx.util import logging

logger = logging.getLogger(__name__)

# Formulas are drawn at this size and scaled to the surrounding text in CSS
# (height in em), so they follow the page's font size.
_SIZE_PT = 12.0


@lru_cache(maxsize=None)
def _render(latex, display):
    from matplotlib import mathtext
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    size = _SIZE_PT * (1.15 if display else 1.0)
    source = latex  # the alt text, as written
    if not display:
        # In running text TeX sets a sum's limits beside it, not under it;
        # mathtext always sets them under, unless the sum is a group.
        latex = re.sub(r"\\(sum|prod)(?=\s*[_^])", r"{\\\1}", latex)
    # DejaVu Sans, matplotlib's own font: glyphs are stored as paths, so the
    # SVG needs no font installed to be viewed
    prop = FontProperties(size=size, math_fontfamily="dejavusans")
    # The box is measured at 10 times 72 dpi: mathtext rounds it up to whole
    # pixels, and a rounded depth would shift the formula off the baseline.
    scale = 10
    width, height, depth, _, _ = mathtext.MathTextParser("path").parse(
        f"${latex}$", dpi=72 * scale, prop=prop)
    width, height, depth = width / scale, height / scale, depth / scale
    figure = Figure(figsize=(width / 72, height / 72))
    figure.text(0, depth / height, f"${latex}$", fontproperties=prop)
    buffer = io.BytesIO()
    # no date in the file, so that a rebuild gives the same page
    figure.savefig(buffer, format="svg", dpi=72, transparent=True,
                   metadata={"Date": None})
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    # 1 em of the page is _SIZE_PT points of the image
    em = _SIZE_PT
    style = (f"height: {height / em:.3f}em; width: {width / em:.3f}em; "
             f"vertical-align: {-depth / em:.3f}em")
    return (f'<img class="math-svg" src="data:image/svg+xml;base64,{data}" '
            f'alt="{html.escape(source)}" style="{style}"/>')


def _image(self, node, latex, display):
    try:
        # a role may wrap across source lines; mathtext reads one line
        return _render(" ".join(latex.split()), display)
    except ValueError as exc:  # mathtext's parse error, naming the position
        # a warning, so an error under -W; the raw TeX is shown meanwhile
        logger.warning("matplotlib's mathtext cannot draw %r: %s", latex, exc,
                       location=node)
        return f"<code>{html.escape(latex)}</code>"


def visit_math(self, node):
    # not <span class="math">: the theme makes that an inline flex box, in
    # which the image's vertical-align (its baseline) is ignored
    self.body.append(_image(self, node, node.astext(), False))
    raise nodes.SkipNode


def visit_math_block(self, node):
    if node.get("label"):
        self.body.append(self.starttag(node, "div", CLASS="math"))
    else:
        self.body.append('<div class="math">')
    if node.get("number"):
        self.body.append(f'<span class="eqno">({node["number"]})</span>')
    # one image per line of a multi-line block (mathtext draws one line)
    for line in node.astext().split("\n\n"):
        if line.strip():
            self.body.append(f"<p>{_image(self, node, line, True)}</p>")
    self.body.append("</div>\n")
    raise nodes.SkipNode


def setup(app):
    app.add_html_math_renderer("mathtext_svg",
                               inline_renderers=(visit_math, None),
                               block_renderers=(visit_math_block, None))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
