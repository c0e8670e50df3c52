# %% [markdown]
# # 08 · DeepDream
#
# In lesson 02 we started from noise and asked for an image that excites one
# filter. DeepDream starts from a *photo* and asks the network: "whatever you
# see in there, I want more of it". A cloud that looks a little like a bird
# gets more bird-like at every step, until birds (or, on our shapes network,
# stripes and dots) grow out of the picture.
#
# **What you'll do**
# * write the DeepDream objective with the course's objectives and climb it from scratch on the shapes CNN;
# * add the three tricks that make it work on real photos: octaves, tiles and random shifts;
# * see how the choice of layer changes what emerges;
# * dream with a live panel, save the result as a PNG, and dream with InceptionV3.
#
# **What you'll learn**
# * which objective DeepDream climbs (a mean or a squared norm of activations), and why the step is normalised;
# * what "re-injecting the lost detail" between octaves means;
# * why tiles need random shifts, why a roll alone still leaves a frame, and why a shift changes more than the seams.
#
# **What you'll need:** lesson 02 (gradient ascent on the input) and its objectives.

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
# This is the simplification of TensorFlow's DeepDream tutorial. The
# original DeepDream code (Mordvintsev et al., 2015) and the keras.io example
# climb the **squared** activations, $\tfrac12\lVert A^{(l)}\rVert^2$ (half
# the squared L2 norm), which Olah et al. (2017) list as the DeepDream objective; its
# gradient weights each unit by its own activation, so strong responses grow
# fastest. Both single out no filter and no class, so the network amplifies
# whatever it already responds to. The mean keeps layers and photos of
# different sizes on one scale. We climb it by gradient **ascent** on the pixels, with the gradient
# normalised so that every step moves the image by about $\eta$:
#
# $$g = \nabla_x \mathcal{L}(x), \qquad x \leftarrow \mathrm{clip}_{[0,1]}\Big(x + \eta\,\frac{g}{\overline{|g|}}\Big).$$
#
# With the course's objectives this is one line (`spec.dream_layers` is the
# model's default layer mix: `conv3` and `conv4`, weights 1 and 0.5, on the
# shapes CNN):

# %%
objective = objectives.deepdream(layers)
print(objective.name, "reads", sorted(objective.layers))

# %% [markdown]
# ## 2. From scratch
# Ten plain steps at the model's own input size: a feature model, a tape,
# a normalised step, a clip.

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
# The helper `deepdream.deepdream` does the same climb in a compiled step,
# and adds octaves and tiles; its `history` lists the objective before each
# step, like `scratch`. With one octave and one tile it is the loop above,
# except that before each step it pads the image with its mirror image and
# rolls it by a random shift, which (section 4) changes what the network
# computes, so the two climbs differ:

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
# Dreaming at one size grows patterns of one size only. DeepDream first
# dreams on a small copy, then on copies `OCTAVE_SCALE` times larger, up to
# the photo itself: octave $i$ (counting down from the last) has side
# $s / \text{scale}^{\,i}$.
#
# Shrinking throws detail away. So before each new octave the dream is
# upscaled and the lost detail put back:
#
# $$x_{o+1} = \mathrm{up}(x_o) + \big(\mathrm{photo}_{o+1} - \mathrm{up}(\mathrm{photo}_o)\big),$$
#
# where $\mathrm{photo}_o$ is the photo shrunk to octave $o$'s size: the
# difference is exactly the detail the small copy could not hold.

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
# the cup's outlines: patterns grown on the small copies are enlarged with
# them, and the last octave adds the fine ones.

# %% [markdown]
# ## 4. Tiles and random shifts
#
# A large photo does not fit through a big network at once, so the gradient
# is computed tile by tile (`TILE` = 128 px: 2×2 tiles on the 256 px photo,
# fewer on the smaller octaves). Away from tile edges this is the
# whole-image gradient; near an edge a tile cannot see its neighbours, and a
# fixed grid would print its lines into the dream. Rolling the image by a
# random offset before tiling (and back after) moves the edges every step.
#
# A roll moves something else too. `conv3` and `conv4` come after two 2×2
# poolings with stride 2, so their maps sample the image on a 4 px grid.
# Max pooling is not shift-equivariant: a shift by a multiple of 4 px lines
# the grid up again; any other shift puts different pixels in every pooling
# window. Below, `Dreamer.gradient` computes the gradient on the whole image
# at once and `Dreamer.tiled_gradient(photo, shift)` rolls, tiles and rolls
# the gradient back. We measure their difference away from the **seams**
# (`deepdream.seam_mask`: the pixels within 6 px of a tile edge, or of the
# line where the rolled image wraps round, which is always the image's own
# border):

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
# Without a shift the difference is a cross: one line per axis, where the
# two tiles meet in the middle (at the image's border the tiles end where
# the whole image ends, so the two agree there). With a shift on the 4 px
# grid the tile edges move: two lines per axis, a # grid, plus the
# border, where the rolled tiles now see the opposite side of the photo.
# These lines disturb the gradient further than the 6 px the seam mask
# leaves out (`conv4` sees 26×26 pixels), and there are about three
# times as many of them, hence the larger leftover on the grid. Off the
# grid the gradient differs everywhere, by about as much as the gradient
# itself: it is the gradient of a slightly different function. That does
# the dream no harm: each step climbs the objective at the current offset,
# and as the offset changes at random no tile edge and no pooling grid gets
# printed in. The random shift works like lesson 02's jitter.
#
# One seam does not move: wherever the roll goes, the join between the
# photo's bottom and top edges (and right and left) lies on its border.
# The deep layers see that join as an edge and, step after step, dream a
# frame a few pixels inside the border. So the helper pads each octave
# with its own mirror image (`pad`, 1/8 of the side by default), rolls and
# tiles the padded copy and keeps the photo's part of the gradient: the
# join falls in the padding, where no one looks. The same dream without
# the padding, and the top-left corners enlarged: without it, a line runs
# along the top and the left border, a few pixels inside; with it, the
# stripes run on to the edge.

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
# Each layer amplifies what it responds to. Same photo, same settings, one
# layer at a time (`dream_grid` runs one dream per layer mix):

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
# the cup's and the saucer's contours, sprinkled with small dots, and
# their objectives grow several times as much as those of `conv1` and
# `conv2`. That is what the network learned to detect: the stripes, edges
# and round outlines of its eight shapes.

# %% [markdown]
# ## 6. Your turn: the DeepDream panel
#
# Type a layer mix as `layer: weight, ...`, choose the step size, octaves
# and steps, and press **Run**; **Stop** keeps the dream so far, **Save PNG**
# writes it to `exports/`. Try `conv1: 1`, then `conv4: 1` on the same
# photo; then `conv3: 1, conv1: -1` (a negative weight suppresses a layer);
# then Octaves 1 against 4 with the same steps.

# %%
from helpers.widgets.deepdream import DeepDreamPanel

panel = DeepDreamPanel(spec, image=PHOTO)
panel.run()
panel

# %% [markdown]
# ## Exercise 1: octave sizes
# A photo of `PHOTO_SHAPE` = (300, 200) pixels is dreamed with `N_OCTAVES` = 4
# octaves, each `SCALE` = 1.5 times larger than the one before, the last
# being the photo itself. Round every side to the nearest pixel (Python's
# `round`). List the `(height, width)` of every octave, smallest first.
# `q_octaves.hint()` gives a nudge, `q_octaves.solution()` the answer.

# %%
from helpers.exercises.lesson08 import N_OCTAVES, PHOTO_SHAPE, SCALE, q_octaves
answer = None    # e.g. [(h0, w0), (h1, w1), ...]
q_octaves.check(answer);

# %% [markdown]
# ## Exercise 2: which rolls are harmless?
# Dream on `conv2` alone (`SHIFT_LAYER`), with tiles. Which of the rolls
# `(down, right)` in `SHIFTS` give, away from the seams, the same gradient
# as no roll at all? List them (any order), as tuples from `SHIFTS`. You can
# reason it out from the model summary of lesson 00, and test it with
# section 4's measurement on a `Dreamer` for `{SHIFT_LAYER: 1.0}`.
# `q_shift.hint()` gives a nudge.

# %%
from helpers.exercises.lesson08 import SHIFT_LAYER, SHIFTS, q_shift
answer = None    # e.g. [(0, 0), ...]
q_shift.check(answer);

# %% [markdown]
# ## On a real ImageNet network
# DeepDream was made for GoogLeNet; InceptionV3 is its descendant. The same
# call dreams with it on the same photo, with its default layer mix (the
# `mixed` blocks the keras.io example uses). With ImageNet weights, the
# literature's dreams grow eyes, fur, dog faces and pagodas out of the photo,
# more of them at deeper layers (Mordvintsev et al., 2015). This section runs
# where the weights can be fetched (on Colab, say); each run's picture is
# its own.

# %%
from helpers.models import load_imagenet

net = load_imagenet("inception_v3")
if net is not None:
    real = deepdream.deepdream(net, photo, steps=STEPS, step_size=STEP_SIZE, octaves=OCTAVES,
                               octave_scale=OCTAVE_SCALE, tile_size=TILE, seed=SEED)
    print(f"InceptionV3, layers {net.dream_layers}: objective {real.initial:.2f} → {real.final:.2f}")
    plotting.image_grid([photo, real.image], [PHOTO, "InceptionV3's dream"], cols=2, cell=4.5)

# %% [markdown]
# ## Summary
# * DeepDream climbs $\sum_l w_l\,\mathrm{mean}(A^{(l)})$ (TensorFlow's tutorial; the original squares the
#   activations): the network amplifies what it already sees.
# * The step is normalised by the mean absolute gradient and the image clipped to [0, 1].
# * Octaves grow patterns at several scales; the lost detail is re-injected between them.
# * Tiles bound the memory; random shifts move their seams every step, and mirror padding moves the roll's
#   wrap-around join off the photo, where it would dream a frame.
# * Each layer dreams what it detects: on the shapes CNN, contrast at conv1, dots at conv2, stripes deeper.
# * A roll off a layer's pooling grid (4 px for conv3 and conv4, 2 px for conv2) changes the whole gradient, not only
#   the seams.
#
# ## On your own
# * Dream with a negative weight on one layer: what disappears?
# * Start from noise instead of a photo (`np.random.default_rng(0).uniform(size=(256, 256, 3))`).
# * Run the dream again on its own output, a few times, zooming in a little each time.
#
# ## Further reading
# * A. Mordvintsev, C. Olah, M. Tyka, *Inceptionism: Going Deeper into Neural
#   Networks*, Google Research blog, 2015.
# * C. Olah, A. Mordvintsev, L. Schubert, *Feature Visualization*, Distill 2017.
# * F. Chollet, *Deep Learning with Python*, chapter on DeepDream; keras.io example "Deep Dream".
