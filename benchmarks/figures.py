"""Figures of the benchmark page (matplotlib, Agg backend): sweeps and epoch times."""

import os

from benchmarks.models import LIB_NAMES

COLORS = {"skmlp": "C0", "sklearn": "C1", "torch": "C2", "skorch": "C4", "jax": "C3",
          "jax_scan": "C5"}


def _save(plt, fig, path):
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _sweep(plt, res, s, path):
    """Seconds per epoch (top) and ratios skmlp / other (bottom), log scales."""
    from matplotlib.ticker import FixedLocator, NullLocator

    pts, xs = s["points"], [p["value"] for p in s["points"]]
    libs = list(pts[0]["per_epoch"])
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 8), sharex=True,
                                      gridspec_kw={"height_ratios": [3, 2]})
    for lib in libs:
        top.plot(xs, [p["per_epoch"][lib] for p in pts], "o-", color=COLORS.get(lib),
                 label=LIB_NAMES.get(lib, lib))
    for lib in libs[1:]:
        bottom.plot(xs, [p["ratios"][lib] for p in pts], "o-", color=COLORS.get(lib),
                    label="skmlp / %s" % LIB_NAMES.get(lib, lib))
    bottom.axhline(1.0, color="grey", lw=0.8)
    top.set_ylabel("seconds per epoch (%s rows)" % format(s["n_samples"], ","))
    bottom.set_ylabel("time ratio, log scale (below 1: skmlp faster)")
    bottom.set_xlabel("batch size" if s["kind"] == "batch" else "hidden width w")
    for ax in (top, bottom):
        ax.set_yscale("log")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    bottom.set_xscale("log")  # labelled at the measured points only
    bottom.xaxis.set_major_locator(FixedLocator(xs))
    bottom.xaxis.set_minor_locator(NullLocator())
    bottom.set_xticklabels([format(int(x), ",") for x in xs])
    title = ("MNIST 784-300-100-10, adam, %s: time per epoch vs batch size" % s["dtype"]
             if s["kind"] == "batch" else "MNIST 784-w-w-10, adam, batch %d, %s: time per "
             "epoch vs width" % (s["batch_size"], s["dtype"]))
    fig.suptitle(title + " (%s run)" % res["meta"]["mode"], fontsize=10)
    return _save(plt, fig, path)


def _epochs(plt, runs, path):
    fig, axes = plt.subplots(1, len(runs), figsize=(5.5 * len(runs), 4), squeeze=False)
    for ax, e in zip(axes[0], runs):
        for lib, t in e["times"].items():
            ax.plot(range(1, len(t) + 1), t, "o-", color=COLORS.get(lib),
                    label=LIB_NAMES.get(lib, lib))
        ax.set(xlabel="epoch", ylabel="seconds", title=e["label"])
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
        ax.legend()
    fig.suptitle("Time of each epoch (one partial_fit call each)")
    return _save(plt, fig, path)


def make_figures(res, fig_dir):
    """Write the PNG figures for ``res`` into ``fig_dir``; return their paths."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no figures")
        return []
    os.makedirs(fig_dir, exist_ok=True)
    paths = [_sweep(plt, res, s, os.path.join(fig_dir, "sweep_%s.png" % s["kind"]))
             for s in res.get("sweeps", [])]
    if res.get("epochs"):
        paths.append(_epochs(plt, res["epochs"], os.path.join(fig_dir, "epoch_times.png")))
    return paths
