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
from functools import lru_cache

from docutils import nodes
from sphinx.util import logging

logger = logging.getLogger(__name__)

# Formulas are drawn at this size and scaled to the surrounding text in CSS
# (height in em), so they follow the page's font size.
_SIZE_PT = 12.0


@lru_cache(maxsize=None)
def _render(latex, display):
    import matplotlib
    from matplotlib import mathtext
    from matplotlib.font_manager import FontProperties

    size = _SIZE_PT * (1.15 if display else 1.0)
    prop = FontProperties(size=size)
    buffer = io.BytesIO()
    # Computer Modern, the look readers expect of formulas; glyphs are stored
    # as paths, so no font is needed to view the SVG.
    with matplotlib.rc_context({"mathtext.fontset": "cm", "svg.fonttype": "path",
                                "svg.hashsalt": "skmlp"}):
        parser = mathtext.MathTextParser("path")
        width, height, depth, _, _ = parser.parse(f"${latex}$", dpi=72, prop=prop)
        depth = mathtext.math_to_image(f"${latex}$", buffer, prop=prop, dpi=72,
                                       format="svg")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    # 1 em of the page is _SIZE_PT points of the image
    em = _SIZE_PT
    style = (f"height: {height / em:.3f}em; width: {width / em:.3f}em; "
             f"vertical-align: {-depth / em:.3f}em")
    return (f'<img class="math-svg" src="data:image/svg+xml;base64,{data}" '
            f'alt="{html.escape(latex)}" style="{style}"/>')


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
    self.body.append(f'<span class="math">{_image(self, node, node.astext(), False)}</span>')
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
