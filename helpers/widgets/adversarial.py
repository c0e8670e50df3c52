"""Lesson 15 panels: fool a shapes CNN with a chosen attack and ε; and the repaired cheat's λ sweep."""

from __future__ import annotations

import numpy as np

from helpers.widgets.base import Panel

#: Fresh images the attack panel picks from (an evaluation seed no model was trained on).
N_IMAGES, IMAGE_SEED = 64, 31_337
#: The attack choices: ``label -> (function name, norm)``.
ATTACKS = {"PGD L∞ (10 steps)": ("pgd", "linf"), "FGSM L∞ (one step)": ("fgsm", "linf"),
           "PGD L2 (10 steps)": ("pgd", "l2")}
#: An L2 attack gets the same root-mean-square change per pixel value as the slider's L∞ ε: ε·√(64·64·3).
L2_SCALE = float(np.sqrt(64 * 64 * 3))


class AttackPanel(Panel):
    """One fresh shapes image attacked: the image, the change (magnified), the result, the class probabilities.

    The slider sets ε, the largest change per pixel value for L∞ attacks (for
    L2, the change of the same root-mean-square size, ε·√d). ``Model`` picks
    the adversarially trained shapes CNN or the plain one.

    Args:
      spec: a :class:`helpers.models.ModelSpec` (the shapes CNNs are used whatever it is; only its name is read).
    """

    key = "adversarial"

    def __init__(self, spec=None, projector: bool | None = None):
        import ipywidgets as w

        from helpers.shapes import make_shapes

        self.spec = spec
        self.x, self.y, _ = make_shapes(N_IMAGES, seed=IMAGE_SEED)
        self.models = {}
        index = w.IntText(value=0, description="Image #")  # range checked in validate
        eps = w.FloatSlider(value=0.03, min=0.005, max=0.12, step=0.005, readout_format=".3f", description="ε")
        attack = w.Dropdown(options=list(ATTACKS), value="PGD L∞ (10 steps)", description="Attack")
        model = w.Dropdown(options=["plain", "robust"], value="plain", description="Model")
        super().__init__("Fool it: an adversarial example", {"index": index, "eps": eps, "attack": attack,
                                                            "model": model}, live=False, projector=projector)

    def validate(self) -> None:
        i = self.value("index")
        if not 0 <= int(i) < N_IMAGES:
            raise ValueError(f"image {i} out of range 0..{N_IMAGES - 1}")

    def _spec(self):
        from helpers.models import load_shapes

        which = "plain" if self.value("model") == "plain" else "a"
        if which not in self.models:
            self.models[which] = load_shapes(which)
        return self.models[which]

    def compute(self, callback):
        from helpers import adversarial as A

        spec = self._spec()
        i, eps = int(self.value("index")), float(self.value("eps"))
        kind, norm = ATTACKS[self.value("attack")]
        x, y = self.x[i:i + 1], self.y[i:i + 1]
        size = eps * L2_SCALE if norm == "l2" else eps
        if kind == "pgd":
            res = A.pgd(spec.model, x, y, size, steps=10, norm=norm, seed=0, progress=False,
                        callback=lambda s, n, p=None: callback(s, n))
        else:
            res = A.fgsm(spec.model, x, y, size, norm=norm)
            callback(1, 1)
        before, after = spec.predict(x)[0], spec.predict(res.images)[0]
        verdict = "fooled" if res.success[0] else "not fooled"
        return A.attack_figure(x[0], res.images[0], before, after, spec.class_names, int(y[0]), eps,
                               title=f"{self.value('model')} model, {self.value('attack')}, ε = {eps:.3f}: {verdict}")


class RepairPanel(Panel):
    """The shipped λ sweep of the cheat's repair: pick a penalty and λ, see accuracy and Grad-CAM's share on the tag.

    Reads ``data/models/shapes_cnn_repaired.json`` (:func:`helpers.repair.load_sweep`): nothing is trained here.
    """

    key = "repair"

    def __init__(self, spec=None, projector: bool | None = None):
        import ipywidgets as w

        from helpers.repair import load_sweep

        self.spec = spec
        self.sweep = load_sweep()
        options = [(_label(r), k) for k, r in enumerate(self.sweep["sweep"])]
        choice = w.Dropdown(options=options, value=len(options) - 1, description="Training")
        super().__init__("Fix it: a penalty on the tag", {"setting": choice}, live=False, projector=projector)

    def validate(self) -> None:
        k = self.value("setting")
        if not 0 <= int(k) < len(self.sweep["sweep"]):
            raise ValueError(f"setting {k} out of range 0..{len(self.sweep['sweep']) - 1}")

    def compute(self, callback):
        from helpers.plotting import _style, new_figure

        rows = self.sweep["sweep"]
        chosen = int(self.value("setting"))
        fs = _style()["fontsize"] + 2
        fig, axes = new_figure(14, 5, ncols=2)
        pos = np.arange(len(rows))
        colours = ["tab:red" if k == chosen else "0.7" for k in range(len(rows))]
        axes[0].bar(pos - 0.2, [r["with_tag"] for r in rows], 0.4, color="0.85", edgecolor="0.4", label="with tag")
        axes[0].bar(pos + 0.2, [r["without_tag"] for r in rows], 0.4, color=colours, label="without tag")
        axes[0].axhline(1 / 8, color="gray", linestyle="--", linewidth=1, label="chance (1/8)")
        axes[0].set_ylabel("accuracy (fresh images)", fontsize=fs)
        axes[0].legend(fontsize=fs - 2, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False)
        axes[1].bar(pos, [r["grad_cam_on_tag"] for r in rows], color=colours)
        axes[1].axhline(0.0625, color="gray", linestyle="--", linewidth=1, label="tag's area (an even map's share)")
        axes[1].set_ylabel("Grad-CAM's share on the tag", fontsize=fs)
        axes[1].legend(fontsize=fs - 2, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
        for ax in axes:
            ax.set_xticks(pos, [_label(r, short=True) for r in rows], rotation=35, ha="right", fontsize=fs - 3)
            ax.set_ylim(0, 1)
        r = rows[chosen]
        fig.suptitle(f"{_label(r)}: right on {r['with_tag']:.0%} with the tag, {r['without_tag']:.0%} without; "
                     f"{r['grad_cam_on_tag']:.0%} of Grad-CAM on the tag", fontsize=fs)
        fig.tight_layout()
        callback(1, 1)
        return fig


def _label(row: dict, short: bool = False) -> str:
    if row["penalty"] == "none":
        return "no penalty" if short else "no penalty (a cheat)"
    from helpers.repair import PENALTY_NAMES

    name = PENALTY_NAMES[row["penalty"]]
    return f"{name.replace(' penalty', '') if short else name} λ={row['lam']:g}"
