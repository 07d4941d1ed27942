"""Sphinx configuration for the skmlp documentation.

Build (from the repository root, after ``pip install ".[docs]"``)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

The gallery examples in ``docs/examples/`` are run during the build; set
``SKMLP_MNIST_DIR`` to a folder with the four MNIST ``*-idx?-ubyte.gz`` files to
run the MNIST example on real data (it prints a message and skips otherwise).
"""

import os
import sys

# ``python -m sphinx`` run from the repository root imports the working tree's
# skmlp; ``sphinx-build`` imports the installed one.
import skmlp

project = "skmlp"
author = "The skmlp developers"
copyright = "2026, The skmlp developers"
version = release = skmlp.__version__

# docs/_ext: the site's own small extensions
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "_ext"))

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    # Maths drawn to SVG at build time by matplotlib (see _ext/mathtext_svg.py),
    # so that formulas read off-line; MathJax needs a CDN.
    "mathtext_svg",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    # The user guide, errors and benchmark pages stay Markdown: the benchmark
    # harness writes docs/benchmarks.md, and the pages read well on a code host.
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
# examples/ holds the gallery's sources; sphinx-gallery turns them into
# auto_examples/, which Sphinx then reads.
exclude_patterns = ["_build", "examples", "Thumbs.db", ".DS_Store"]

# --- API reference -----------------------------------------------------------
autosummary_generate = True
# The class template (_templates/autosummary/class.rst) lists the methods.
numpydoc_show_class_members = False


def _skip_members_of_scikit_learn(app, what, name, obj, skip, options):
    """Document only methods skmlp defines; the class page names the others.

    get_params, set_params, score and the metadata-routing methods come from
    scikit-learn's mixins. Their docstrings link into scikit-learn's own user
    guide, which cannot resolve here without fetching scikit-learn's
    inventory over the network, and they are documented there already.
    """
    if what == "method" and not name.startswith("_"):
        if not getattr(obj, "__module__", "").startswith("skmlp"):
            return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_members_of_scikit_learn)


# "fit()" rather than "MLPClassifierNB.fit()" in a page's table of contents,
# so the method names fit the "On this page" column
toc_object_entries_show_parents = "hide"

# --- Markdown pages ----------------------------------------------------------
myst_heading_anchors = 3

# --- Gallery -----------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    # every example runs during the build
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    # "Examples using this class" on each API page
    "doc_module": ("skmlp",),
    "backreferences_dir": os.path.join("generated", "backreferences"),
    "download_all_examples": False,
    "remove_config_comments": True,
}

# --- HTML --------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skmlp {release}"
html_math_renderer = "mathtext_svg"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    # every top-level page in the top bar, the API reference included, none
    # hidden under "More" (the index's toctree uses short titles so they fit)
    "header_links_before_dropdown": 10,
    "navbar_align": "left",
    # the version is on the index page; the bar's width goes to the links
    "logo": {"text": "skmlp"},
    # the search field as an icon: the bar's width goes to the page links
    "navbar_persistent": ["search-button"],
    # "Show source" would link to the .md/.rst copies, which add nothing
    "secondary_sidebar_items": ["page-toc"],
}
# No left sidebar: the site is one level deep, so the section navigation it
# holds is empty on every page; the top bar lists the pages instead.
html_sidebars = {"**": []}
html_static_path = ["_static"]
# wider content; tables, code and example output scroll in their own box
html_css_files = ["skmlp.css"]
