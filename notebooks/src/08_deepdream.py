# %% [markdown]
# # 08 · DeepDream
#
# In lesson 02 we started from noise and asked for an image that excites one
# filter. DeepDream starts from a *photo* and asks the network: "whatever you
# see in there, I want more of it". A cloud that looks a little like a bird
# gets a little more bird-like, the network sees the bird more strongly on
# the next step, and so on, until birds (or, on our shapes network, bands
# of stripes and dots) grow out of the picture.
#
# **What you'll do**
# * write the DeepDream objective with the course's objectives and climb it from scratch;
# * add the three tricks that make it work on real photos: octaves, tiles and random shifts;
# * see how the choice of layer changes what emerges;
# * dream with a live panel and save the result as a PNG.
#
# **What you'll learn**
# * why the objective is a *mean* of activations, and why the step is normalised;
# * what "re-injecting the lost detail" between octaves means;
# * why tiles need random shifts to leave no seams, and why a shift changes more than the seams.
#
# **What you'll need:** lesson 02 (gradient ascent on the input) and its objectives.

# %% [markdown]
# ## Parameters
# Online, the lesson uses InceptionV3 (a descendant of GoogLeNet, the
# network of the original DeepDream); offline, the shapes CNN, which was
# trained on 64×64 images but is convolutional up to its global average
# pooling, so it can dream on larger photos too.

# %%
MODEL = "auto"          # "auto" (InceptionV3 online, shapes CNN offline), "shapes", "inception_v3", "vgg16"
PHOTO = "coffee"        # a sample photo: cat, coffee, astronaut, rocket, china, flower
SIZE = 256              # side of the (square) photo we dream on
LAYERS = None           # None = the model's default mix (spec.dream_layers), e.g. {"conv3": 1.0, "conv4": 0.5}
STEPS = 20              # gradient steps per octave
STEP_SIZE = 0.01        # how far one step moves the image (in [0, 1] units, on average)
OCTAVES, OCTAVE_SCALE = 3, 1.4
TILE = 256
SEED = 0

# %%
import numpy as np
import tensorflow as tf
from helpers import config, deepdream, images, objectives, plotting
from helpers.claims import claim
from helpers.models import load_model

spec = load_model(MODEL)
if spec.name == "vgg16":  # online: dream with an Inception network, like the original DeepDream
    spec = load_model("inception_v3")
layers = LAYERS or spec.dream_layers
photo = images.resize(images.load_image(PHOTO), config.size(SIZE), crop=True)
print(f"{spec.description}; dreaming with {layers} on '{PHOTO}' at {photo.shape[0]}x{photo.shape[1]} px")

# %% [markdown]
# ## 1. The objective
#
# Pick a few layers $l$ with weights $w_l$. The DeepDream objective is the
# weighted sum of each layer's **mean** activation:
#
# $$\mathcal{L}(x) = \sum_l w_l \,\frac{1}{H_l W_l C_l}\sum_{i,j,k} A^{(l)}_{i,j,k}(x).$$
#
# It is the "layer" objective of feature visualization, summed over several
# layers: no filter and no class is singled out, so the network amplifies
# whatever it already responds to. The mean keeps layers and photos of
# different sizes on one scale.
#
# We climb it by gradient **ascent** on the pixels, with the gradient
# normalised so that every step moves the image by about $\eta$:
#
# $$g = \nabla_x \mathcal{L}(x), \qquad x \leftarrow \mathrm{clip}_{[0,1]}\Big(x + \eta\,\frac{g}{\overline{|g|}}\Big).$$
#
# With the course's objectives this is one line:

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
print("objective:", " → ".join(f"{v:.2f}" for v in scratch))

# %% [markdown]
# The helper does the same climb in a compiled step (one graph for every
# image size), and adds octaves and tiles. With one octave and one tile it is
# the loop above, except that it rolls the image by a random shift before
# each step. Section 4 shows that a shift of a few pixels changes what the
# network computes, so the two climbs differ from the first value on:

# %%
plain = deepdream.deepdream(spec.model, images.resize(photo, spec.input_size), layers=layers,
                            steps=10, step_size=STEP_SIZE, octaves=1, tile_size=max(spec.input_size), seed=SEED)
print("helper:   ", " → ".join(f"{v:.2f}" for v in plain.history))
claim("both climbs raise the objective", scratch[-1] > scratch[0] and plain.history[-1] > plain.history[0])
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
one = deepdream.deepdream(spec, photo, layers=layers, steps=STEPS, step_size=STEP_SIZE, octaves=1, seed=SEED)
dream = deepdream.deepdream(spec, photo, layers=layers, steps=STEPS, step_size=STEP_SIZE, octaves=OCTAVES,
                            octave_scale=OCTAVE_SCALE, tile_size=TILE, seed=SEED)
print(f"objective on the full photo: {dream.initial:.2f} → {dream.final:.2f} (gain {dream.gain:.1f}x)")
plotting.image_grid([photo, one.image, dream.image], [PHOTO, "one octave", f"{OCTAVES} octaves"], cols=3, cell=4.5)

# %% [markdown]
# One octave grows fine, dense stripes at a single scale. With several
# octaves (and as many times the steps) the stripes are coarser and follow
# the cup's outlines: patterns grown on the small copies are enlarged with
# them, and the last octave adds the fine ones.

# %% [markdown]
# ## 4. Tiles and random shifts
#
# A large photo does not fit through a big network at once. So the gradient
# is computed tile by tile (fixed size `TILE`), each tile's gradient
# weighted by its share of the image. Away from tile edges the result is
# the whole-image gradient; near an edge a tile cannot see its neighbours,
# and a fixed grid would print its lines into the dream. Rolling the image by
# a random offset before tiling (and back after) moves the edges every step,
# so no seam builds up.
#
# A roll moves something else too. The shapes CNN pools twice with stride 2,
# so its feature maps sample the image on a 4 px grid. Max pooling is not
# shift-equivariant: shift the image by a multiple of 4 px and the grid
# lines up again; shift it by any other amount and every pooling window
# holds different pixels. The differences from the whole-image gradient,
# measured away from the seams (tile edges and the line where the roll
# wraps round):

# %%
h, w = photo.shape[:2]
small_tiles = deepdream.Dreamer(spec.model, objective, tile_size=max(16, h // 2))
_, g_whole = small_tiles.gradient(photo)
shifts = {"tiled": (0, 0), "tiled, shift on the 4 px grid": (4 * (h // 20), 4 * (w // 12)),
          "tiled, shift off the grid": (4 * (h // 20) + 1, 4 * (w // 12) + 1)}
cells, titles, off_seams = [np.abs(g_whole).sum(-1)], ["|gradient|, whole image"], {}
for label, shift in shifts.items():
    _, g = small_tiles.tiled_gradient(photo, shift=shift)
    d = np.abs(g - g_whole).sum(-1)
    far = ~deepdream.seam_mask(photo.shape, small_tiles.tile_size, shift)
    off_seams[label] = d[far].sum() / np.abs(g_whole).sum(-1)[far].sum()
    cells.append(d)
    titles.append(f"{label} {shift} − whole")
    print(f"{label:<30} shift {shift}: difference away from the seams = {off_seams[label]:.0%} of the gradient")
claim("tiles without a shift: difference away from the seams", off_seams["tiled"], at_most=0.05)
claim("shift on the 4 px grid: difference away from the seams", off_seams["tiled, shift on the 4 px grid"],
      at_most=0.15)
claim("shift off the grid: difference away from the seams", off_seams["tiled, shift off the grid"], at_least=0.5)
plotting.image_grid(cells, titles, cols=4, cell=3.2, vmin=0, vmax=float(np.percentile(cells[0], 99.5)))

# %% [markdown]
# Without a shift the difference is a thin cross on the tile edges. With a
# shift on the 4 px grid it is the moved cross plus the wrap-around line.
# Off the grid the gradient differs everywhere, by about as much as the
# gradient itself: it is the gradient of a slightly different function.
# That does no harm to the dream. Each step climbs the objective for the
# image at its current offset, and as the offset changes at random, no
# pooling grid and no seam gets printed in: the random shift works like the
# jitter of lesson 02.

# %% [markdown]
# ## 5. Which layer dreams what?
#
# Each layer amplifies what it responds to. Same photo, same settings, one
# layer at a time; the title gives the objective's gain:

# %%
picks = {f"{role}: {spec.layers[role]}": {spec.layers[role]: 1.0} for role in ("early", "middle", "late", "last_conv")}
by_layer = deepdream.dream_grid(spec, photo, picks, steps=STEPS, step_size=STEP_SIZE, octaves=OCTAVES,
                                octave_scale=OCTAVE_SCALE, tile_size=TILE, seed=SEED)
plotting.image_grid([r.image for r in by_layer.values()],
                    [f"{t} (×{r.gain:.1f})" for t, r in by_layer.items()], cols=4, cell=3.6)

# %% [markdown]
# On the shapes CNN, `conv1` only pushes contrast and colour (dark areas
# darker, bright ones brighter) and adds no pattern of its own; `conv2`
# covers the photo with a fine dotted texture; `conv3` and `conv4` draw
# bands of parallel stripes that follow the cup's and the saucer's
# contours, sprinkled with small dots, and their gains are much larger.
# That is what the network learned to detect: the stripes and edges of its
# eight shapes. (On ImageNet networks, deep layers grow eyes, fur and
# animal faces: Mordvintsev et al., 2015.)

# %% [markdown]
# ## 6. Your turn: the DeepDream panel
#
# Type a layer mix as `layer: weight, ...`, choose the step size, octaves
# and steps, and press **Run**; **Stop** keeps the dream so far, **Save PNG**
# writes it to `exports/`.

# %%
from helpers.widgets.deepdream import DeepDreamPanel

panel = DeepDreamPanel(spec, image=PHOTO)
panel.run()
panel

# %% [markdown]
# ## 7. Save your dream
# `images.save_png` writes any [0, 1] image as a PNG.

# %%
path = images.save_png(dream.image, "exports/deepdream.png")
print("saved", path, dream.image.shape)

# %% [markdown]
# ## Exercise 1: octave sizes
# A photo of `PHOTO_SHAPE` = (300, 200) pixels is dreamed with `N_OCTAVES` = 4
# octaves, each `SCALE` = 1.5 times larger than the one before. List the
# `(height, width)` of every octave, smallest first.

# %%
from helpers.exercises.lesson08 import N_OCTAVES, PHOTO_SHAPE, SCALE, q_octaves
answer = None    # e.g. [(h0, w0), (h1, w1), ...]
q_octaves.check(answer);

# %% [markdown]
# ## Exercise 2: one step
# `X0` is a 2×2 gray image, `GRAD` the objective's gradient there and `STEP`
# the step size. Compute the image after one DeepDream step.

# %%
from helpers.exercises.lesson08 import GRAD, STEP, X0, q_step
answer = None    # a 2x2 array
q_step.check(answer);

# %% [markdown]
# `q_octaves.hint()`, `q_step.solution()` and friends help.
#
# ## Summary
# * DeepDream climbs $\sum_l w_l\,\mathrm{mean}(A^{(l)})$: the network amplifies what it already sees.
# * The step is normalised by the mean absolute gradient and the image clipped to [0, 1].
# * Octaves grow patterns at several scales; the lost detail is re-injected between them.
# * Tiles bound the memory; random shifts hide their seams.
# * Each layer dreams what it detects: on the shapes CNN, contrast at conv1, dots at conv2, stripes deeper.
# * A roll off the network's 4 px pooling grid changes the whole gradient, not only the seams.
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
