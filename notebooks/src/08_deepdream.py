# %% [markdown]
# # 08 · DeepDream
#
# Lesson 02 started from noise and asked for an image that excites one
# filter. DeepDream starts from a *photo* and asks the network for more of
# whatever it sees there, until (on our shapes network) stripes and dots
# grow out of the picture.
#
# **What you'll do**
# * climb the DeepDream objective from scratch on the shapes CNN, then with the helper;
# * add octaves, tiles, random shifts and mirror padding, and see what each is for;
# * compare the dreams of four layers; dream with a panel and (online) with InceptionV3.
#
# **What you'll learn**
# * which objective DeepDream climbs, and why the step is normalised;
# * why a random shift changes more than the tile seams.
#
# **What you'll need:** lesson 02 (gradient ascent on the input).

# %% [markdown]
# ## Parameters
# The shapes CNN was trained on 64×64 images, but it is convolutional up to
# its global average pooling, so it can dream on larger photos too.

# %%
MODEL = "auto"          # the shapes CNN; "vgg16" etc. runs the whole lesson on another model (the text describes the shapes CNN)
PHOTO = "coffee"        # a sample photo: cat, coffee, astronaut, rocket, china, flower
SIZE = 256              # side of the (square) photo we dream on
LAYERS = None           # None = the model's default layer mix for DeepDream, spec.dream_layers; or e.g. {"conv2": 1.0}
STEPS = 20              # gradient steps per octave
STEP_SIZE = 0.01        # how far one step moves the image (in [0, 1] units, on average)
OCTAVES, OCTAVE_SCALE = 3, 1.4
TILE = 128              # side of the tiles the gradient is computed on (2×2 tiles on the 256 px photo)
SEED = 0

# %%
import numpy as np
import tensorflow as tf
from helpers import config, deepdream, images, objectives, plotting
from helpers.claims import claim
from helpers.models import load_model

spec = load_model(MODEL)
layers = LAYERS or spec.dream_layers
photo = images.resize(images.load_image(PHOTO), config.size(SIZE), crop=True)
print(f"{spec.description}; dreaming with {layers} on '{PHOTO}' at {photo.shape[0]}x{photo.shape[1]} px")

# %% [markdown]
# ## 1. The objective
#
# Pick a few layers $l$ with weights $w_l$. Our DeepDream objective is the
# weighted sum of each layer's **mean** activation:
#
# $$\mathcal{L}(x) = \sum_l w_l \,\frac{1}{H_l W_l C_l}\sum_{i,j,k} A^{(l)}_{i,j,k}(x).$$
#
# This is the simplification of TensorFlow's DeepDream tutorial; the
# original code (Mordvintsev et al., 2015) climbs half the squared L2 norm,
# $\tfrac12\lVert A^{(l)}\rVert^2$, whose gradient weights each unit by
# its own activation. Neither singles out a filter or
# a class: the network amplifies whatever it already responds to. We climb
# by gradient ascent, the gradient divided by its mean magnitude so that
# each step moves the image by about $\eta$ whatever the gradient's own
# scale (with a fixed learning rate instead, the step's size would change
# with the layer mix and the image):
#
# $$g = \nabla_x \mathcal{L}(x), \qquad x \leftarrow \mathrm{clip}_{[0,1]}\Big(x + \eta\,\frac{g}{\overline{|g|}}\Big).$$
#
# `spec.dream_layers` is the model's default layer mix (on the shapes CNN,
# `conv3` and `conv4` with weights 1 and 0.5):

# %%
objective = objectives.deepdream(layers)
print(objective.name, "reads", sorted(objective.layers))

# %% [markdown]
# ## 2. From scratch
# Ten steps at the model's own input size: a tape, a normalised step, a clip.

# %%
feats = objectives.objective_model(spec.model, objective)
x = tf.Variable(images.resize(photo, spec.input_size)[None])
scratch = []
for step in range(config.steps(10)):
    with tf.GradientTape() as tape:
        value = objective(objectives.activations_for(feats, x))[0]
    g = tape.gradient(value, x)
    x.assign(tf.clip_by_value(x + STEP_SIZE * g / (tf.reduce_mean(tf.abs(g)) + 1e-8), 0.0, 1.0))
    scratch.append(float(value))
print("from scratch, the objective before each step:", " → ".join(f"{v:.2f}" for v in scratch))

# %% [markdown]
# The helper `deepdream.deepdream` does the same climb compiled, and adds
# octaves and tiles. With one octave and one tile it is the loop above, except that it pads
# and rolls the image before each step (section 4), so the climbs differ:

# %%
plain = deepdream.deepdream(spec.model, images.resize(photo, spec.input_size), layers=layers,
                            steps=10, step_size=STEP_SIZE, octaves=1, tile_size=2 * max(spec.input_size), seed=SEED)
print("the helper, the objective before each step:  ", " → ".join(f"{v:.2f}" for v in plain.history))
claim("both climbs raise the objective", scratch[-1] > scratch[0] and plain.history[-1] > plain.history[0], quiet=True)
plotting.image_grid([images.resize(photo, spec.input_size), x[0].numpy(), plain.image],
                    ["input", "from scratch", "helper, one octave"], cols=3, cell=3.5)

# %% [markdown]
# ## 3. Octaves: from coarse to fine
#
# Dreaming at one size grows patterns of one size only. DeepDream dreams
# first on a small copy, then on copies `OCTAVE_SCALE` times larger, up to
# the photo itself. Shrinking throws detail away, so before each new
# octave the dream is upscaled and the lost detail put back:
#
# $$x_{o+1} = \mathrm{up}(x_o) + \big(\mathrm{photo}_{o+1} - \mathrm{up}(\mathrm{photo}_o)\big),$$
#
# where $\mathrm{photo}_o$ is the photo shrunk to octave $o$'s size.

# %%
print("octave sizes:", deepdream.octave_shapes(photo.shape, OCTAVES, OCTAVE_SCALE))
one = deepdream.deepdream(spec, photo, layers=layers, steps=STEPS, step_size=STEP_SIZE, octaves=1, tile_size=TILE,
                          seed=SEED)
dream = deepdream.deepdream(spec, photo, layers=layers, steps=STEPS, step_size=STEP_SIZE, octaves=OCTAVES,
                            octave_scale=OCTAVE_SCALE, tile_size=TILE, seed=SEED)
print(f"The {OCTAVES}-octave dream raises the objective on the full photo from {dream.initial:.2f} to "
      f"{dream.final:.2f}, {dream.gain:.1f} times; saved as", images.save_png(dream.image, "exports/deepdream.png"))
plotting.image_grid([photo, one.image, dream.image], [PHOTO, "one octave", f"{OCTAVES} octaves"], cols=3, cell=4.5)

# %% [markdown]
# One octave grows fine, dense stripes at a single scale. With several
# octaves (and as many times the steps) the stripes are coarser and follow
# the cup's outlines: patterns grown on the small copies are enlarged.

# %% [markdown]
# ## 4. Tiles and random shifts
#
# A large photo does not fit through a big network at once, so the gradient
# is computed tile by tile (`TILE`). Near a tile's edge it cannot see its
# neighbours, so the gradient there is off (the figure below shows where);
# rolling the image by a random offset before tiling moves those edges,
# and their errors, to another place at every step.
#
# A roll changes something else too: max pooling is not shift-equivariant.
# A layer samples the image on a grid, the product of the stride-2
# poolings before it: 2 px after one, 4 px after two (`conv3`, `conv4`). A
# shift by a multiple of 4 px lines conv3's and conv4's grid up again; any
# other shift changes the windows of at least one pooling. Below, `Dreamer.gradient` takes the gradient on the whole image
# and `Dreamer.tiled_gradient(photo, shift)` rolls, tiles and rolls the
# gradient back; we compare them away from the **seams**
# (`deepdream.seam_mask`: within 6 px of a tile edge or of the image's
# border, where the rolled image wraps round):

# %%
h, w = photo.shape[:2]
small_tiles = deepdream.Dreamer(spec.model, objective, tile_size=max(16, min(TILE, h // 2)))  # 2 tiles per side or more
_, g_whole = small_tiles.gradient(photo)
shifts = {"no shift": (0, 0), "shift on the 4 px grid": (4 * (h // 20), 4 * (w // 12)),
          "shift off the grid": (4 * (h // 20) + 1, 4 * (w // 12) + 1)}
cells, titles, off_seams = [np.abs(g_whole).sum(-1)], ["|gradient|, whole image"], {}
for label, shift in shifts.items():
    _, g = small_tiles.tiled_gradient(photo, shift=shift)
    d = np.abs(g - g_whole).sum(-1)
    far = ~deepdream.seam_mask(photo.shape, small_tiles.tile_size, shift)
    off_seams[label] = d[far].sum() / np.abs(g_whole).sum(-1)[far].sum()
    cells.append(d)
    titles.append(f"{label} {shift}:\n|tiled − whole|")
print("Away from the seams, the tiled gradient differs from the whole-image one by "
      + ", ".join(f"{v:.0%} of the gradient with {k}" for k, v in off_seams.items()) + ".")
claim("tiles without a shift: difference away from the seams", off_seams["no shift"], at_most=0.05, quiet=True)
claim("shift on the 4 px grid: difference away from the seams", off_seams["shift on the 4 px grid"], at_most=0.15,
      quiet=True)
claim("shift off the grid: difference away from the seams", off_seams["shift off the grid"], at_least=0.5, quiet=True)
fig = plotting.image_grid(cells, titles, cols=4, cell=3.2, vmin=0, vmax=float(np.percentile(cells[0], 99.5)))
fig.colorbar(fig.axes[0].images[0], ax=fig.axes, fraction=0.015, label="|gradient| (one scale for all four)")
fig

# %% [markdown]
# Without a shift the difference is a cross, one line per axis where the
# tiles meet (at the border the tiles end where the whole image does). On
# the 4 px grid the tile edges move: a # grid of two lines per axis, plus
# the border, where the tiles now see the opposite side of the photo.
# These lines disturb the gradient further than the 6 px left out
# (`conv4` sees 26×26 pixels), and there are three per axis instead of one:
# hence the larger leftover. Off the grid the gradient differs everywhere:
# it is the gradient of a slightly different function, and each step
# climbs the objective at its own offset.
#
# One seam never moves: the roll's join between the photo's bottom and top
# (and right and left) lies on its border, whatever the shift; the deep
# layers see it as an edge and dream a frame just inside the border. So
# the helper pads each octave with its mirror image (`pad`, 1/8 of the
# side) and keeps the photo's part of the gradient: the join falls in the
# padding. Without the padding (left, and
# the top-left corners enlarged) a line runs along the top and left
# borders, a few pixels inside; with it, the stripes run on to the edge.

# %%
framed = deepdream.deepdream(spec, photo, layers=layers, steps=STEPS, step_size=STEP_SIZE, octaves=OCTAVES,
                             octave_scale=OCTAVE_SCALE, tile_size=TILE, seed=SEED, pad=0)
corner = slice(0, photo.shape[0] // 3)
plotting.image_grid([framed.image, dream.image, framed.image[corner, corner], dream.image[corner, corner]],
                    ["roll only (pad=0)", "mirror padding (the default)", "roll only: top-left corner",
                     "mirror padding: top-left corner"], cols=4, cell=3.6)

# %% [markdown]
# ## 5. Which layer dreams what?
#
# Same photo, same settings, one layer at a time (`dream_grid`):

# %%
picks = {f"{role}: {spec.layers[role]}": {spec.layers[role]: 1.0} for role in ("early", "middle", "late", "last_conv")}
by_layer = deepdream.dream_grid(spec, photo, picks, steps=STEPS, step_size=STEP_SIZE, octaves=OCTAVES,
                                octave_scale=OCTAVE_SCALE, tile_size=TILE, seed=SEED)
gains = [r.gain for r in by_layer.values()]
print("Each dream multiplies its own layer's objective by "
      + ", ".join(f"{t.split(': ')[1]} {r.gain:.1f}" for t, r in by_layer.items()) + ".")
claim("gain of conv3 and conv4 (the smaller) over that of conv1 and conv2 (the larger)", min(gains[2:]) / max(gains[:2]),
      at_least=2.0, quiet=True)
plotting.image_grid([r.image for r in by_layer.values()], list(by_layer), cols=4, cell=3.6)

# %% [markdown]
# On the shapes CNN, `conv1` only pushes contrast and colour (dark areas
# darker, bright ones brighter) and adds no pattern of its own; `conv2`
# covers the photo with round dots and small blobs over a fine dotted
# texture; `conv3` and `conv4` draw bands of parallel stripes that follow
# the cup's and the saucer's contours, sprinkled with small dots. Each
# layer amplifies the patterns it responds to.

# %% [markdown]
# ## 6. Your turn: the DeepDream panel
#
# Type a layer mix as `layer: weight, ...`, choose the step size, octaves
# and steps, and press **Run**. Try `conv1: 1`, then `conv4: 1` on the same
# photo; then `conv3: 1, conv1: -1` (a negative weight suppresses a layer);
# then Octaves 1 against 4 with the same steps.

# %%
from helpers.widgets.deepdream import DeepDreamPanel

panel = DeepDreamPanel(spec, image=PHOTO)
panel.run()
panel

# %% [markdown]
# ## Exercise: which rolls are harmless?
# Dream on `conv2` alone (`SHIFT_LAYER`), with tiles. Which of the rolls
# `(down, right)` in `SHIFTS` give, away from the seams, the same gradient
# as the whole image without a roll (section 4's comparison)? List them (any order), as tuples from `SHIFTS`. Reason
# it out from lesson 00's table of layers; test it, if you like, with
# section 4's measurement on a `Dreamer` for `{SHIFT_LAYER: 1.0}`.
# `q_shift.hint()` gives a nudge, `q_shift.solution()` the answer.

# %%
from helpers.exercises.lesson08 import SHIFT_LAYER, SHIFTS, q_shift
answer = None    # e.g. [(0, 0), ...]
q_shift.check(answer);

# %% [markdown]
# ## On a real ImageNet network
# DeepDream was made for GoogLeNet; InceptionV3 is its descendant. The same
# call dreams with it on the same photo, with its default layer mix (the
# `mixed` blocks the keras.io example uses). With ImageNet weights, the
# literature's dreams grow eyes, fur, dog faces and pagodas out of photos,
# more of them at deeper layers (Mordvintsev et al., 2015). This section
# runs where the weights can be fetched (on Colab, say).

# %%
from helpers.models import load_imagenet

net = load_imagenet("inception_v3")
if net is not None:
    real = deepdream.deepdream(net, photo, steps=STEPS, step_size=STEP_SIZE, octaves=OCTAVES,
                               octave_scale=OCTAVE_SCALE, tile_size=TILE, seed=SEED)
    print(f"InceptionV3, layers {net.dream_layers}: objective {real.initial:.2f} → {real.final:.2f}")
    display(plotting.image_grid([photo, real.image], [PHOTO, "InceptionV3's dream"], cols=2, cell=4.5))

# %% [markdown]
# ## Summary
# * DeepDream climbs $\sum_l w_l\,\mathrm{mean}(A^{(l)})$ with a
#   normalised step: the network amplifies what it already sees.
# * Octaves grow patterns at several scales.
# * Random shifts move the tile seams every step; mirror padding keeps the roll's join off the photo.
# * A roll off a layer's pooling grid changes the whole gradient, not only the seams.
# * Each layer dreams what it detects: on the shapes CNN, contrast at conv1, dots at conv2, stripes deeper.
#
# ## On your own
# * Start from noise instead of a photo (`np.random.default_rng(0).uniform(size=(256, 256, 3))`).
# * Run the dream again on its own output, a few times, zooming in a little each time.
#
# ## Further reading
# * A. Mordvintsev, C. Olah, M. Tyka, *Inceptionism: Going Deeper into Neural
#   Networks*, Google Research blog, 2015.
# * C. Olah, A. Mordvintsev, L. Schubert, *Feature Visualization*, Distill 2017.
# * F. Chollet, *Deep Learning with Python*, chapter on DeepDream; keras.io example "Deep Dream".
