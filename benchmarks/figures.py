"""Figures of the benchmark page (matplotlib, Agg backend): sweeps and epoch times."""

import os

from benchmarks.models import LIB_NAMES

COLORS = {"skmlp": "C0", "sklearn": "C1", "torch": "C2", "skorch": "C4", "jax": "C3",
          "jax_scan": "C5"}


def _name(lib):
    return LIB_NAMES.get(lib, lib)


def _log_x(ax, xs):
    """Log x axis labelled at the measured points only."""
    from matplotlib.ticker import FixedLocator, NullLocator

    ax.set_xscale("log")
    ax.xaxis.set_major_locator(FixedLocator(xs))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticklabels([format(int(x), ",") for x in xs])


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
    paths = []
    for s in res.get("sweeps", []):
        pts = s["points"]
        xs = [p["value"] for p in pts]
        libs = list(pts[0]["per_epoch"])
        fig, axes = plt.subplots(2, 1, figsize=(7, 8), sharex=True,
                                 gridspec_kw={"height_ratios": [3, 2]})
        ax = axes[0]
        for lib in libs:
            ax.plot(xs, [p["per_epoch"][lib] for p in pts], "o-",
                    color=COLORS.get(lib), label=_name(lib))
        ax.set_yscale("log")
        ax.set_ylabel("seconds per epoch (%s rows)" % format(s["n_samples"], ","))
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
        ax = axes[1]
        for lib in libs[1:]:
            ax.plot(xs, [p["ratios"][lib] for p in pts], "o-", color=COLORS.get(lib),
                    label="skmlp / %s" % _name(lib))
        ax.axhline(1.0, color="grey", lw=0.8)
        ax.set_yscale("log")
        _log_x(ax, xs)
        ax.set_ylabel("time ratio, log scale (below 1: skmlp faster)")
        ax.set_xlabel("batch size" if s["kind"] == "batch" else "hidden width w")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
        if s["kind"] == "batch":
            title = "MNIST 784-300-100-10, adam, %s: time per epoch vs batch size" % s["dtype"]
        else:
            title = "MNIST 784-w-w-10, adam, batch %d, %s: time per epoch vs width" % (
                s["batch_size"], s["dtype"])
        fig.suptitle(title + " (%s run)" % res["meta"]["mode"], fontsize=10)
        fig.tight_layout()
        path = os.path.join(fig_dir, "sweep_%s.png" % s["kind"])
        fig.savefig(path, dpi=100)
        plt.close(fig)
        paths.append(path)
    if res.get("epochs"):
        runs = res["epochs"]
        fig, axes = plt.subplots(1, len(runs), figsize=(5.5 * len(runs), 4),
                                 squeeze=False)
        for ax, e in zip(axes[0], runs):
            for lib, t in e["times"].items():
                ax.plot(range(1, len(t) + 1), t, "o-", color=COLORS.get(lib),
                        label=_name(lib))
            ax.set_xlabel("epoch")
            ax.set_ylabel("seconds")
            ax.set_ylim(bottom=0)
            ax.set_title(e["label"])
            ax.grid(True, alpha=0.3)
            ax.legend()
        fig.suptitle("Time of each epoch (one partial_fit call each)")
        fig.tight_layout()
        path = os.path.join(fig_dir, "epoch_times.png")
        fig.savefig(path, dpi=100)
        plt.close(fig)
        paths.append(path)
    return paths
