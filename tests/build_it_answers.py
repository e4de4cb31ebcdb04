"""Learners' answers to the build-it exercises, written here as a learner would and independently of the checkers:
for each exercise two other right implementations (``RIGHT``) and two typical wrong ones with a phrase of the
feedback each must get (``WRONG``). tests/test_build_it.py feeds them to the checkers; tests/test_exercises.py adds
``RIGHT`` to its other right forms.

None of these calls the exercise's own reference or mistake functions: a right answer is computed another way (a
loop for a vectorised solution, scikit-learn or Keras for numpy, the package's own building blocks), and a wrong one
makes its slip in its own code, so that a named feedback is earned by the diagnosis, not by identity.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf
from keras import layers
from scipy.special import log_softmax, softmax
from sklearn.metrics import accuracy_score, f1_score, recall_score
from sklearn.model_selection import GroupKFold

# --- ex-03-3: the quadrant of a point ----------------------------------------------------------------------------


def quadrant_lookup(valence, arousal):
    """A table keyed by (pleasant?, aroused?)."""
    table = {
        (True, True): "Euphoric",
        (False, True): "Aggressive",
        (True, False): "Calm",
        (False, False): "Melancholy",
    }
    return table[(valence >= 0, arousal >= 0)]


def quadrant_numpy(valence, arousal):
    """np.select, returning a numpy string."""
    return np.select(
        [valence >= 0 and arousal >= 0, arousal >= 0, valence >= 0],
        ["Euphoric", "Aggressive", "Calm"],
        "Melancholy",
    )[()]


def quadrant_strict(valence, arousal):
    """Wrong: > instead of >=."""
    if valence > 0 and arousal > 0:
        return "Euphoric"
    if valence < 0 and arousal > 0:
        return "Aggressive"
    if valence > 0 and arousal < 0:
        return "Calm"
    return "Melancholy"


def quadrant_swapped(arousal, valence):
    """Wrong: the arguments taken in the other order."""
    if arousal >= 0:
        return "Euphoric" if valence >= 0 else "Aggressive"
    return "Calm" if valence >= 0 else "Melancholy"


# --- ex-04-3: the seven-class merge -------------------------------------------------------------------------------


def class_name_loop(flags):
    """Builds the name piece by piece."""
    parts = []
    if flags["Aggressive"]:
        parts.append("Aggressive")
    if flags["Euphoric"]:
        parts.append("Euphoric")
    if flags["Calm"] or flags["Melancholy"]:
        parts.append("Calm")
    return " + ".join(parts) if parts else None


def class_name_index(flags):
    """Looks the class up in CLASS_NAMES by its set of merged quadrants."""
    from course_utils.labels import CLASS_NAMES

    merged = {q for q in ("Aggressive", "Euphoric") if flags[q]}
    if flags["Calm"] or flags["Melancholy"]:
        merged.add("Calm")
    for name in CLASS_NAMES:
        if set(name.split(" + ")) == merged:
            return name
    return None


def class_name_unmerged(flags):
    """Wrong: Melancholy forgotten."""
    parts = [q for q in ("Aggressive", "Euphoric", "Calm") if flags[q]]
    return " + ".join(parts) if parts else None


def class_name_sorted(flags):
    """Wrong: the names sorted alphabetically."""
    merged = {
        "Aggressive": flags["Aggressive"],
        "Euphoric": flags["Euphoric"],
        "Calm": flags["Calm"] or flags["Melancholy"],
    }
    parts = sorted(q for q, on in merged.items() if on)
    return " + ".join(parts) if parts else None


# --- ex-05-6: a conv-pool block ------------------------------------------------------------------------------------


def conv_block_sequential(filters):
    """A Sequential, the activation as its own layer."""
    return keras.Sequential(
        [layers.Conv2D(filters, (3, 3), padding="same"), layers.Activation("relu"), layers.MaxPooling2D((2, 2))]
    )


def conv_block_relu_layer(filters):
    """A ReLU layer and keyword arguments."""
    return [
        layers.Conv2D(filters=filters, kernel_size=3, strides=1, padding="SAME"),
        layers.ReLU(),
        layers.MaxPooling2D(pool_size=2),
    ]


def conv_block_valid(filters):
    """Wrong: no padding."""
    return [layers.Conv2D(filters, 3, activation="relu"), layers.MaxPooling2D(2)]


def conv_block_linear(filters):
    """Wrong: no activation."""
    return keras.Sequential([layers.Conv2D(filters, 3, padding="same"), layers.MaxPooling2D(2)])


# --- ex-06-4: the dropout model from its description -----------------------------------------------------------


def dropout_cnn_spelled_out(input_shape, num_classes):
    """Every layer written out, the augmentation included."""
    return keras.Sequential(
        [
            keras.Input(shape=input_shape),
            layers.RandomFlip("horizontal"),
            layers.RandomRotation((-0.1, 0.1)),
            layers.RandomZoom(0.1),
            layers.Rescaling(scale=1.0 / 255),
            layers.Conv2D(16, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(32, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(64, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dropout(rate=0.2),  # after the flatten: the same values dropped
            layers.Dense(128, activation="relu"),
            layers.Dense(num_classes, name="logits"),
        ]
    )


def dropout_cnn_functional(input_shape, num_classes):
    """The functional API, the blocks in a loop."""
    inputs = keras.Input(input_shape)
    x = layers.RandomFlip("horizontal")(inputs)
    x = layers.RandomRotation(0.1)(x)
    x = layers.RandomZoom(0.1)(x)
    x = layers.Rescaling(1 / 255)(x)
    for filters in (16, 32, 64):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D(2)(x)
    x = layers.Dropout(0.2)(x)
    x = layers.Dense(128, activation="relu")(layers.Flatten()(x))
    return keras.Model(inputs, layers.Dense(num_classes)(x))


def _dropout_cnn(input_shape, num_classes, rate, augment):
    stack = [keras.Input(input_shape)]
    if augment:
        stack += [layers.RandomFlip("horizontal"), layers.RandomRotation(0.1), layers.RandomZoom(0.1)]
    stack.append(layers.Rescaling(1 / 255))
    for filters in (16, 32, 64):
        stack += [layers.Conv2D(filters, 3, padding="same", activation="relu"), layers.MaxPooling2D()]
    stack += [
        layers.Dropout(rate),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dense(num_classes),
    ]
    return keras.Sequential(stack)


def dropout_cnn_half(input_shape, num_classes):
    """Wrong: drops half of the values."""
    return _dropout_cnn(input_shape, num_classes, 0.5, True)


def dropout_cnn_no_augmentation(input_shape, num_classes):
    """Wrong: the augmentation left out."""
    return _dropout_cnn(input_shape, num_classes, 0.2, False)


# --- ex-07-4: average pooling by hand ----------------------------------------------------------------------------


def average_pool_loops(grid):
    """Two loops over the whole blocks."""
    rows, cols = len(grid) // 2, len(grid[0]) // 2
    out = np.zeros((rows, cols))
    for i in range(rows):
        for j in range(cols):
            out[i, j] = (
                grid[2 * i][2 * j] + grid[2 * i][2 * j + 1] + grid[2 * i + 1][2 * j] + grid[2 * i + 1][2 * j + 1]
            ) / 4
    return out


def average_pool_keras(grid):
    """Keras's own layer on a batch of one."""
    x = np.asarray(grid, dtype="float32")[None, :, :, None]
    return np.asarray(layers.AveragePooling2D(pool_size=2, strides=2, padding="valid")(x))[0, :, :, 0]


def average_pool_max(grid):
    """Wrong: the largest value of each block."""
    g = np.asarray(grid)
    h, w = g.shape[0] // 2 * 2, g.shape[1] // 2 * 2
    return g[:h, :w].reshape(h // 2, 2, w // 2, 2).max(axis=(1, 3))


def average_pool_padded(grid):
    """Wrong: an odd edge padded with its own values and averaged (ceil)."""
    g = np.asarray(grid, dtype=float)
    g = np.pad(g, ((0, g.shape[0] % 2), (0, g.shape[1] % 2)), mode="edge")
    return g.reshape(g.shape[0] // 2, 2, g.shape[1] // 2, 2).mean(axis=(1, 3))


# --- ex-08-4: the share of dead ReLU units ------------------------------------------------------------------------


def dead_share_submodel(model, images, layer_name):
    """A Keras sub-model up to the layer."""
    upto = keras.Model(model.inputs, model.get_layer(layer_name).output)
    out = np.asarray(upto(images)).reshape(len(images), -1)
    return np.count_nonzero(out.max(axis=0) == 0) / out.shape[1]


def dead_share_loop(model, images, layer_name):
    """The layers called one by one, the units counted in a loop."""
    x = images
    for layer in model.layers:
        x = layer(x)
        if layer.name == layer_name:
            break
    values = np.asarray(x).reshape(len(images), -1)
    dead = sum(1 for unit in values.T if np.all(unit <= 0))
    return dead / values.shape[1]


def dead_share_zeros(model, images, layer_name):
    """Wrong: the share of outputs at 0."""
    upto = keras.Model(model.inputs, model.get_layer(layer_name).output)
    return float(np.mean(np.asarray(upto(images)) == 0))


def dead_share_any(model, images, layer_name):
    """Wrong: a unit at 0 for any image counted dead."""
    upto = keras.Model(model.inputs, model.get_layer(layer_name).output)
    out = np.asarray(upto(images)).reshape(len(images), -1)
    return float(np.mean(np.any(out == 0, axis=0)))


# --- ex-09-4: AlexNet's flatten size -----------------------------------------------------------------------------


def alexnet_flatten_direct(side):
    """Three floor divisions by 3 are one by 27."""
    return (side // 27) ** 2 * 16


def alexnet_flatten_keras(side):
    """Keras's own shape arithmetic for the three poolings."""
    shape = (None, side, side, 16)
    for _ in range(3):
        shape = layers.MaxPooling2D(3).compute_output_shape(shape)
    return math.prod(shape[1:])


def alexnet_flatten_ceil(side):
    """Wrong: each pooling rounds up."""
    for _ in range(3):
        side = math.ceil(side / 3)
    return side * side * 16


def alexnet_flatten_pool2(side):
    """Wrong: 2 × 2 pooling, as in the original CNN."""
    for _ in range(3):
        side //= 2
    return side * side * 16


# --- ex-10-6: balanced accuracy ------------------------------------------------------------------------------------


def balanced_accuracy_sklearn(y_true, y_pred):
    """Recall per class from scikit-learn, over the classes with images."""
    return recall_score(y_true, y_pred, labels=np.unique(y_true), average="macro", zero_division=0)


def balanced_accuracy_confusion(y_true, y_pred):
    """From a confusion matrix."""
    classes = np.union1d(y_true, y_pred)
    index = {c: i for i, c in enumerate(classes)}
    counts = np.zeros((len(classes), len(classes)))
    for t, p in zip(y_true, y_pred):
        counts[index[t], index[p]] += 1
    support = counts.sum(axis=1)
    return float(np.mean(np.diag(counts)[support > 0] / support[support > 0]))


def balanced_accuracy_accuracy(y_true, y_pred):
    """Wrong: the plain accuracy."""
    return accuracy_score(y_true, y_pred)


def balanced_accuracy_all_seen(y_true, y_pred):
    """Wrong: recall averaged over every class seen, a class without images counted as 0."""
    return recall_score(y_true, y_pred, average="macro", zero_division=0)


# --- ex-10-7: an artist-grouped split ----------------------------------------------------------------------------


def artist_split_groupkfold(artists, seed):
    """scikit-learn's GroupKFold (5 folds of about equal size), the first fold as validation."""
    artists = np.asarray(artists)
    _, val = next(GroupKFold(n_splits=5).split(np.zeros(len(artists)), groups=artists))
    mask = np.zeros(len(artists), dtype=bool)
    mask[val] = True
    return mask


def artist_split_largest_first(artists, seed):
    """The artists with the most works first (so no big one overshoots), until a fifth is reached."""
    names, counts = np.unique(artists, return_counts=True)
    rng = np.random.default_rng(seed)
    order = np.lexsort((rng.random(len(names)), -counts))
    chosen, total = set(), 0
    for i in order:
        if total + counts[i] <= 0.2 * len(artists):
            chosen.add(names[i])
            total += counts[i]
    return np.array([a in chosen for a in artists])


def artist_split_works(artists, seed):
    """Wrong: a fifth of the works at random, artists ignored."""
    rng = np.random.default_rng(seed)
    mask = np.zeros(len(artists), dtype=bool)
    mask[rng.choice(len(artists), size=len(artists) // 5, replace=False)] = True
    return mask


def artist_split_training(artists, seed):
    """Wrong: True marks the training works."""
    return ~artist_split_groupkfold(artists, seed)


# --- ex-11-5: macro-F1 --------------------------------------------------------------------------------------------


def macro_f1_sklearn(y_true, y_pred):
    """scikit-learn's macro F1 (it averages over the classes seen in labels or predictions)."""
    return f1_score(y_true, y_pred, average="macro", zero_division=0)


def macro_f1_precision_recall(y_true, y_pred):
    """Precision and recall per class, then their harmonic mean."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    scores = []
    for c in set(y_true.tolist()) | set(y_pred.tolist()):
        tp = np.sum((y_true == c) & (y_pred == c))
        precision = tp / np.sum(y_pred == c) if np.sum(y_pred == c) else 0.0
        recall = tp / np.sum(y_true == c) if np.sum(y_true == c) else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(scores) / len(scores)


def macro_f1_micro(y_true, y_pred):
    """Wrong: the micro average."""
    return f1_score(y_true, y_pred, average="micro")


def macro_f1_true_classes(y_true, y_pred):
    """Wrong: only the classes with images."""
    return f1_score(y_true, y_pred, labels=np.unique(y_true), average="macro", zero_division=0)


# --- ex-13-6: an artwork's valence-arousal target --------------------------------------------------------------


def va_target_numpy(shares, coordinates):
    """Vectorised over the chosen emotions."""
    if not shares:
        return (float("nan"), float("nan"))
    weights = np.array(list(shares.values()))
    points = coordinates.loc[list(shares), ["valence", "arousal"]].to_numpy()
    point = weights @ points / max(weights.sum(), 1)
    return tuple(point)


def va_target_frame(shares, coordinates):
    """pandas: shares as a Series aligned with the coordinates; a pandas Series returned."""
    import pandas as pd

    s = pd.Series(shares, dtype=float).reindex(coordinates.index, fill_value=0.0)
    total = s.sum()
    if total == 0:
        return pd.Series({"valence": np.nan, "arousal": np.nan})
    return coordinates.mul(s, axis=0).sum() / (total if total > 1 else 1)


def va_target_mean(shares, coordinates):
    """Wrong: always divided by the total share."""
    total = sum(shares.values())
    if total == 0:
        return (np.nan, np.nan)
    v = sum(s * coordinates.loc[e, "valence"] for e, s in shares.items()) / total
    a = sum(s * coordinates.loc[e, "arousal"] for e, s in shares.items()) / total
    return (v, a)


def va_target_undivided(shares, coordinates):
    """Wrong: never divided."""
    if not shares:
        return (np.nan, np.nan)
    v = sum(s * coordinates.loc[e, "valence"] for e, s in shares.items())
    a = sum(s * coordinates.loc[e, "arousal"] for e, s in shares.items())
    return (v, a)


# --- ex-14-5: label probabilities from the 7-class model -----------------------------------------------------------


def label_probabilities_scipy(logits, class_names):
    """scipy's softmax, a loop over the labels."""
    p = softmax(np.asarray(logits, dtype=float), axis=1)
    columns = []
    for label in ("Aggressive", "Euphoric", "Calm"):
        keep = [i for i, name in enumerate(class_names) if label in name.split(" + ")]
        columns.append(p[:, keep].sum(axis=1))
    return np.stack(columns, axis=1)


def label_probabilities_keras(logits, class_names):
    """Keras's softmax, a membership matrix from the package's label sets."""
    from course_utils.training.heads import class_label_sets

    p = np.asarray(keras.ops.softmax(np.asarray(logits, dtype="float64"), axis=-1))
    return p @ class_label_sets(np.arange(len(class_names)), class_names)


def label_probabilities_exact(logits, class_names):
    """Wrong: only the class named like the label."""
    p = softmax(np.asarray(logits, dtype=float), axis=1)
    out = np.zeros((len(p), 3))
    for j, label in enumerate(("Aggressive", "Euphoric", "Calm")):
        if label in class_names:
            out[:, j] = p[:, list(class_names).index(label)]
    return out


def label_probabilities_naive(logits, class_names):
    """Wrong: np.exp of the raw logits."""
    e = np.exp(np.asarray(logits, dtype=float))
    p = e / e.sum(axis=1, keepdims=True)
    holds = np.array([[label in name for label in ("Aggressive", "Euphoric", "Calm")] for name in class_names])
    return p @ holds


# --- ex-14-6: a threshold tuned on validation ----------------------------------------------------------------------


def best_threshold_by_hand(y_true, prob, grid):
    """F1 counted by hand; the first threshold that beats every earlier one."""
    y_true, prob = np.asarray(y_true), np.asarray(prob)
    best, best_f1 = None, -1.0
    for t in grid:
        yes = prob >= t
        hits = np.sum(yes & (y_true == 1))
        f1 = 2 * hits / (np.sum(y_true == 1) + np.sum(yes)) if hits else 0.0
        if f1 > best_f1 + 1e-12:
            best, best_f1 = t, f1
    return best


def best_threshold_table(y_true, prob, grid):
    """A pandas table of F1 by threshold, idxmax (the first maximum)."""
    import pandas as pd

    table = pd.Series({t: f1_score(y_true, np.asarray(prob) >= t, zero_division=0) for t in grid})
    return table.idxmax()


def best_threshold_strict(y_true, prob, grid):
    """Wrong: > instead of >=."""
    f1 = [f1_score(y_true, np.asarray(prob) > t, zero_division=0) for t in grid]
    return grid[int(np.argmax(f1))]


def best_threshold_accuracy(y_true, prob, grid):
    """Wrong: the best accuracy."""
    accuracy = [accuracy_score(y_true, np.asarray(prob) >= t) for t in grid]
    return grid[int(np.argmax(accuracy))]


# --- ex-15-4: a search by example ---------------------------------------------------------------------------------


def rank_by_example_sklearn(features, index):
    """scikit-learn's cosine similarity (it treats an all-0 row as similarity 0)."""
    from sklearn.metrics.pairwise import cosine_similarity

    similarity = cosine_similarity(features, np.asarray(features)[index : index + 1])[:, 0]
    order = np.argsort(-similarity, kind="stable")
    return np.array([i for i in order if i != index])


def rank_by_example_sorted(features, index):
    """Python's sorted, by similarity then index."""
    f = np.asarray(features, dtype=float)
    norms = [max(math.sqrt(sum(v * v for v in row)), 1e-12) for row in f]
    query = f[index] / norms[index]
    similarity = {i: float(f[i] / norms[i] @ query) for i in range(len(f)) if i != index}
    return [i for i, _ in sorted(similarity.items(), key=lambda item: (-item[1], item[0]))]


def rank_by_example_euclid(features, index):
    """Wrong: Euclidean distance."""
    f = np.asarray(features, dtype=float)
    order = np.argsort(np.linalg.norm(f - f[index], axis=1), kind="stable")
    return order[order != index]


def rank_by_example_with_query(features, index):
    """Wrong: the query left in."""
    f = np.asarray(features, dtype=float)
    unit = f / np.maximum(np.linalg.norm(f, axis=1, keepdims=True), 1e-12)
    return np.argsort(-(unit @ unit[index]), kind="stable")


# --- ex-16-4: unfreezing the backbone -----------------------------------------------------------------------------


def unfreeze_by_type(model, trainable_from):
    """The backbone found by type; frozen layers counted first."""
    base = [layer for layer in model.layers if isinstance(layer, keras.Model)][0]
    base.trainable = True
    frozen = int(len(base.layers) * trainable_from)
    for layer in base.layers[:frozen]:
        layer.trainable = False
    for layer in base.layers[frozen:]:
        layer.trainable = not isinstance(layer, layers.BatchNormalization)


def unfreeze_by_name(model, trainable_from):
    """The backbone by its name; returns nothing."""
    base = model.get_layer("backbone")
    base.trainable = True
    cut = math.floor(trainable_from * len(base.layers))
    for i, layer in enumerate(base.layers):
        layer.trainable = i >= cut and "batch_normalization" not in layer.name


def unfreeze_norm_too(model, trainable_from):
    """Wrong: batch normalisation learns as well."""
    base = model.get_layer("backbone")
    base.trainable = True
    start = int(len(base.layers) * trainable_from)
    for i, layer in enumerate(base.layers):
        layer.trainable = i >= start
    return model


def unfreeze_base_frozen(model, trainable_from):
    """Wrong: the layers' flags set, the backbone itself left frozen."""
    base = model.get_layer("backbone")
    start = int(len(base.layers) * trainable_from)
    for i, layer in enumerate(base.layers):
        layer.trainable = i >= start and not isinstance(layer, layers.BatchNormalization)
    return model


# --- ex-17-5: the soft-label loss ----------------------------------------------------------------------------------


def soft_cross_entropy_scipy(targets, logits):
    """scipy's log_softmax."""
    return float(
        np.mean(-np.sum(np.asarray(targets) * log_softmax(np.asarray(logits, dtype=float), axis=1), axis=1))
    )


def soft_cross_entropy_tf(targets, logits):
    """TensorFlow's softmax cross-entropy, returned as a tensor."""
    return tf.reduce_mean(
        tf.nn.softmax_cross_entropy_with_logits(
            labels=tf.constant(targets, tf.float64), logits=tf.constant(logits, tf.float64)
        )
    )


def soft_cross_entropy_hard(targets, logits):
    """Wrong: the hard label of each target."""
    z = np.asarray(logits, dtype=float)
    log_p = z - z.max(axis=1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(axis=1, keepdims=True))
    labels = np.asarray(targets).argmax(axis=1)
    return float(-log_p[np.arange(len(labels)), labels].mean())


def soft_cross_entropy_summed(targets, logits):
    """Wrong: summed over the batch."""
    return float(-np.sum(np.asarray(targets) * log_softmax(np.asarray(logits, dtype=float), axis=1)))


# --- ex-17-6: an interval that resamples artists ---------------------------------------------------------------


def artist_interval_loop(hits, artists, seed):
    """A loop over resamples, works gathered per drawn artist."""
    hits = np.asarray(hits)
    by_artist = {}
    for h, a in zip(hits, artists):
        by_artist.setdefault(a, []).append(h)
    groups = list(by_artist.values())
    rng = np.random.default_rng(seed + 1)  # other draws than the package's
    values = []
    for _ in range(1000):
        drawn = rng.choice(len(groups), size=len(groups), replace=True)
        right = sum(sum(groups[i]) for i in drawn)
        works = sum(len(groups[i]) for i in drawn)
        values.append(right / works)
    return tuple(np.quantile(values, [0.025, 0.975]))


def artist_interval_package(hits, artists, seed):
    """The package's bootstrap_statistic on per-artist sums."""
    import pandas as pd

    from course_utils.analysis.uncertainty import bootstrap_statistic

    per = pd.DataFrame({"hit": hits, "artist": artists}).groupby("artist")["hit"].agg(["sum", "count"])
    result = bootstrap_statistic(
        lambda s, n: s.sum() / n.sum(), per["sum"].to_numpy(), per["count"].to_numpy(), seed=seed
    )
    return result["low"], result["high"]


def artist_interval_works(hits, artists, seed):
    """Wrong: the works resampled one by one."""
    hits = np.asarray(hits, dtype=float)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(hits), size=(1000, len(hits)))
    return tuple(np.percentile(hits[draws].mean(axis=1), [2.5, 97.5]))


def artist_interval_artist_mean(hits, artists, seed):
    """Wrong: the mean of the artists' own accuracies."""
    names, who = np.unique(artists, return_inverse=True)
    accuracy = np.bincount(who, weights=hits) / np.bincount(who)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(names), size=(1000, len(names)))
    return tuple(np.percentile(accuracy[draws].mean(axis=1), [2.5, 97.5]))


# --- ex-18-5: one step of a custom training loop -------------------------------------------------------------------


def train_step_per_example(model, optimizer, loss_fn, x, y):
    """The per-example losses averaged by hand, gradients applied to trainable_weights."""
    with tf.GradientTape() as tape:
        logits = model(x, training=True)
        per_example = keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True)
        loss = tf.reduce_mean(per_example)
    grads = tape.gradient(loss, model.trainable_weights)
    optimizer.apply_gradients(list(zip(grads, model.trainable_weights)))
    return float(loss)


@tf.function
def _compiled_step(model, optimizer, loss_fn, x, y):
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
    return loss


def train_step_compiled(model, optimizer, loss_fn, x, y):
    """The step as a tf.function (a new trace per model)."""
    return _compiled_step(model, optimizer, loss_fn, tf.constant(x), tf.constant(y)).numpy()


def train_step_no_update(model, optimizer, loss_fn, x, y):
    """Wrong: the gradients computed, never applied."""
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    tape.gradient(loss, model.trainable_variables)
    return loss


def train_step_summed(model, optimizer, loss_fn, x, y):
    """Wrong: the loss summed over the batch."""
    with tf.GradientTape() as tape:
        logits = model(x, training=True)
        loss = tf.reduce_sum(keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss / len(y)


# --- ex-12-3: Grad-CAM ----------------------------------------------------------------------------------------------


def grad_cam_submodel(model, images, class_index, layer_name):
    """A Keras sub-model that outputs the maps and the logits."""
    both = keras.Model(model.inputs, [model.get_layer(layer_name).output, model.outputs[0]])
    with tf.GradientTape() as tape:
        maps, logits = both(tf.constant(images), training=False)
        score = logits[:, class_index]
    weights = tf.reduce_mean(tape.gradient(score, maps), axis=(1, 2))
    cams = tf.nn.relu(tf.einsum("bhwc,bc->bhw", maps, weights))
    cams = tf.image.resize(cams[..., None], (images.shape[1], images.shape[2]), method="bilinear")[..., 0]
    top = tf.reduce_max(cams, axis=(1, 2), keepdims=True)
    return tf.where(top > 0, cams / top, cams).numpy()


def grad_cam_watch(model, images, class_index, layer_name):
    """The maps computed first and watched; the second half of the model run from them."""
    names = [layer.name for layer in model.layers]
    cut = names.index(layer_name) + 1
    maps = tf.constant(images)
    for layer in model.layers[:cut]:
        maps = layer(maps, training=False)
    with tf.GradientTape() as tape:
        tape.watch(maps)
        x = maps
        for layer in model.layers[cut:]:
            x = layer(x, training=False)
        score = tf.gather(x, [class_index] * len(images), axis=1, batch_dims=1)
    grads = tape.gradient(score, maps).numpy()
    cams = np.maximum((grads.mean(axis=(1, 2), keepdims=True) * maps.numpy()).sum(axis=-1), 0)
    cams = np.asarray(keras.ops.image.resize(cams[..., None], images.shape[1:3], interpolation="bilinear"))[..., 0]
    return np.stack([c / c.max() if c.max() > 0 else c for c in cams])


def grad_cam_no_relu(model, images, class_index, layer_name):
    """Wrong: negative evidence kept."""
    both = keras.Model(model.inputs, [model.get_layer(layer_name).output, model.outputs[0]])
    with tf.GradientTape() as tape:
        maps, logits = both(tf.constant(images), training=False)
        score = logits[:, class_index]
    weights = tf.reduce_mean(tape.gradient(score, maps), axis=(1, 2))
    cams = tf.einsum("bhwc,bc->bhw", maps, weights)
    cams = tf.image.resize(cams[..., None], images.shape[1:3])[..., 0].numpy()
    top = cams.reshape(len(cams), -1).max(axis=1)
    return cams / np.where(top > 0, top, 1.0)[:, None, None]


def grad_cam_layer_size(model, images, class_index, layer_name):
    """Wrong: the maps left at the layer's size."""
    both = keras.Model(model.inputs, [model.get_layer(layer_name).output, model.outputs[0]])
    with tf.GradientTape() as tape:
        maps, logits = both(tf.constant(images), training=False)
        score = logits[:, class_index]
    weights = tf.reduce_mean(tape.gradient(score, maps), axis=(1, 2))
    cams = tf.nn.relu(tf.einsum("bhwc,bc->bhw", maps, weights)).numpy()
    top = cams.reshape(len(cams), -1).max(axis=1)
    return cams / np.where(top > 0, top, 1.0)[:, None, None]


#: Two other right implementations of each build-it exercise.
RIGHT = {
    "ex-03-3": [quadrant_lookup, quadrant_numpy],
    "ex-04-3": [class_name_loop, class_name_index],
    "ex-05-6": [conv_block_sequential, conv_block_relu_layer],
    "ex-06-4": [dropout_cnn_spelled_out, dropout_cnn_functional],
    "ex-07-4": [average_pool_loops, average_pool_keras],
    "ex-08-4": [dead_share_submodel, dead_share_loop],
    "ex-09-4": [alexnet_flatten_direct, alexnet_flatten_keras],
    "ex-10-6": [balanced_accuracy_sklearn, balanced_accuracy_confusion],
    "ex-10-7": [artist_split_groupkfold, artist_split_largest_first],
    "ex-11-5": [macro_f1_sklearn, macro_f1_precision_recall],
    "ex-13-6": [va_target_numpy, va_target_frame],
    "ex-14-5": [label_probabilities_scipy, label_probabilities_keras],
    "ex-14-6": [best_threshold_by_hand, best_threshold_table],
    "ex-15-4": [rank_by_example_sklearn, rank_by_example_sorted],
    "ex-16-4": [unfreeze_by_type, unfreeze_by_name],
    "ex-17-5": [soft_cross_entropy_scipy, soft_cross_entropy_tf],
    "ex-17-6": [artist_interval_loop, artist_interval_package],
    "ex-18-5": [train_step_per_example, train_step_compiled],
    "ex-12-3": [grad_cam_submodel, grad_cam_watch],
}

#: Two typical wrong implementations of each, with a phrase of the named feedback each must get.
WRONG = {
    "ex-03-3": [(quadrant_strict, ">=, not >"), (quadrant_swapped, "Valence and arousal are swapped")],
    "ex-04-3": [(class_name_unmerged, "counts as Calm"), (class_name_sorted, "not alphabetically")],
    "ex-05-6": [(conv_block_valid, "padding='same'"), (conv_block_linear, "no activation")],
    "ex-06-4": [
        (dropout_cnn_half, "dropout rate is 0.2"),
        (dropout_cnn_no_augmentation, "augmentation is missing"),
    ],
    "ex-07-4": [(average_pool_max, "max pooling"), (average_pool_padded, "is dropped")],
    "ex-08-4": [(dead_share_zeros, "share of all outputs"), (dead_share_any, "for *some* image")],
    "ex-09-4": [(alexnet_flatten_ceil, "rounds up"), (alexnet_flatten_pool2, "pools by 2")],
    "ex-10-6": [
        (balanced_accuracy_accuracy, "That is the accuracy"),
        (balanced_accuracy_all_seen, "has no recall"),
    ],
    "ex-10-7": [(artist_split_works, "on both sides"), (artist_split_training, "four fifths")],
    "ex-11-5": [(macro_f1_micro, "micro-averaged"), (macro_f1_true_classes, "predicted but has no images")],
    "ex-13-6": [(va_target_mean, "rule the chapter replaced"), (va_target_undivided, "leave the plane")],
    "ex-14-5": [(label_probabilities_exact, "holds it"), (label_probabilities_naive, "overflows")],
    "ex-14-6": [(best_threshold_strict, "counts as a yes"), (best_threshold_accuracy, "best accuracy")],
    "ex-15-4": [(rank_by_example_euclid, "Euclidean"), (rank_by_example_with_query, "leave artwork `index` out")],
    "ex-16-4": [
        (unfreeze_norm_too, "batch-normalisation"),
        (unfreeze_base_frozen, "backbone itself is still frozen"),
    ],
    "ex-17-5": [(soft_cross_entropy_hard, "hard label"), (soft_cross_entropy_summed, "sum over the batch")],
    "ex-17-6": [
        (artist_interval_works, "resample whole artists"),
        (artist_interval_artist_mean, "counts as much"),
    ],
    "ex-18-5": [(train_step_no_update, "did not change"), (train_step_summed, "not the sum")],
    "ex-12-3": [(grad_cam_no_relu, "negative values"), (grad_cam_layer_size, "upsample")],
}
