"""Model files: what ``model.save``, ``load_model``, ``save_weights`` and ``load_weights`` do.

A model file is a zip archive (see :mod:`minikeras.saving.archive`) of::

    config.json              format, versions, architecture, compile settings, manifest
    weights/00000.npy ...    every weight, in model.weights order
    optimizer/00000.npy ...  every optimizer state variable, in optimizer.variables order

``config.json`` holds ``{"format": "minikeras", "format_version": 1, "minikeras_version",
"model": {"class_name": "Sequential", "config"}, "compile": null or {"optimizer", "loss",
"metrics", "gradients"}, "weights": [{"path", "member"}], "optimizer": null or
{"iterations", "variables": [{"path", "weight", "member"}]}}``. A weights file is a plain
``.npz`` archive: one ``<weight path>.npy`` member per weight.

Loading builds the architecture from the registries alone, with every weight's shape
checked against the file before anything is allocated, reads and checks every array, and
only then assigns: a failed load raises :class:`ModelFileError` and changes nothing.
"""

import contextlib
import json

import numpy as np

from .. import __version__, validation
from ..registry import custom_object_scope
from ..variables import planned_weights
from .archive import ArchiveReader, ModelFileError, atomic_write, write_archive

__all__ = ["FORMAT_VERSION", "save_model", "saved_configs", "load_model", "save_weights",
           "load_weights",
           "restore_training_state"]

#: The version of the file format this release writes; it reads this version only.
FORMAT_VERSION = 1
_KEYS = {"format", "format_version", "minikeras_version", "model", "compile", "weights",
         "optimizer"}


# ---------------------------------------------------------------------- saving
def save_model(model, filepath):
    """Write ``model`` to one file, atomically: any name or extension (Keras users write
    ``"model.keras"``).

    Parameters
    ----------
    model : Sequential
        A built model; a compiled one is saved with its compile settings and optimizer
        state, so that :func:`load_model` can go on training it.
    filepath : str or path-like
        The file to create or replace.

    Raises
    ------
    ValueError
        If the model is not built, or holds an object that cannot be saved (a plain
        function that is not registered).
    FileNotFoundError
        If the folder does not exist.
    """
    model._require_built("save")
    architecture, compile_config = saved_configs(model)
    arrays, weights = {}, []
    for i, weight in enumerate(model.weights):
        member = f"weights/{i:05d}.npy"
        weights.append({"path": weight.path, "member": member})
        arrays[member] = weight.value
    config = {"format": "minikeras", "format_version": FORMAT_VERSION,
              "minikeras_version": __version__,
              "model": {"class_name": "Sequential", "config": architecture},
              "compile": compile_config, "weights": weights, "optimizer": None}
    if model.compiled:
        state = []
        optimizer = model.optimizer
        in_model = set(model.weights)
        kept = [w for w in optimizer.built_variables if w in in_model]  # not popped layers'
        slots = [optimizer.slots_for(w)[k] for k in range(len(optimizer.slot_names()))
                 for w in kept]
        owners = {slot: weight for weight in kept for slot in optimizer.slots_for(weight)}
        for i, slot in enumerate(slots):
            member = f"optimizer/{i:05d}.npy"
            state.append({"path": slot.path, "weight": owners[slot].path,
                          "member": member})
            arrays[member] = slot.value
        config["optimizer"] = {"iterations": int(optimizer.iterations), "variables": state}
    atomic_write(filepath, lambda file: write_archive(file, config, arrays))


def saved_configs(model):
    """``(architecture, compile settings)`` as :func:`save_model` writes them.

    Raises
    ------
    ValueError
        If something cannot be saved: an unregistered function, or a layer whose config
        holds values JSON cannot (arrays, layers); the layer is named.
    """
    _check_unique_paths(model)
    architecture = model.get_config()
    for layer, entry in zip(model.layers, architecture["layers"]):
        _check_json(entry, f"Layer {layer.name!r}",
                    f"give {type(layer).__name__} a get_config that returns finite numbers, "
                    "strings, lists and dicts, and a from_config to match")
    compile_config = model.get_compile_config()
    _check_json(compile_config, "The compile settings (loss, metrics, optimizer)",
                "give the custom ones a get_config that returns finite numbers, strings, "
                "lists and dicts")
    return architecture, compile_config


def _check_json(config, what, advice):
    try:
        json.dumps(config, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{what} cannot be saved: the config holds a value JSON cannot "
                         f"({error}); {advice}") from None


def save_weights(model, filepath):
    """Write the weights to an ``.npz`` file (one ``<path>.npy`` member each, in
    ``model.weights`` order), atomically.

    Any file name is accepted; Keras' ``".weights.h5"`` spelling gives npz content too.

    Parameters
    ----------
    model : Sequential
        A built model.
    filepath : str or path-like
        The file to create or replace.

    Raises
    ------
    ValueError
        If the model is not built, or two of its weights share a path.
    """
    model._require_built("save_weights")
    _check_unique_paths(model)
    arrays = {f"{w.path}.npy": w.value for w in model.weights}
    atomic_write(filepath, lambda file: write_archive(file, None, arrays))


# ---------------------------------------------------------------------- loading
def load_model(filepath, custom_objects=None, compile=True):
    """Read a model written by ``model.save``.

    Nothing in the file is executed, imported or unpickled: layer, loss, metric and
    optimizer names are looked up in minikeras' registries and ``custom_objects`` only.

    Parameters
    ----------
    filepath : str or path-like
    custom_objects : dict, optional
        ``{name: class or function}`` for objects not registered with
        :func:`minikeras.saving.register_keras_serializable`.
    compile : bool
        Compile with the saved settings and restore the optimizer state, so that training
        goes on as if never stopped (if the model was compiled when saved).

    Returns
    -------
    Sequential

    Raises
    ------
    ModelFileError
        If the file is malformed, truncated, forged or names unknown objects.
    FileNotFoundError
        If there is no such file.
    """
    from ..models.sequential import Sequential  # models sit below saving

    with ArchiveReader(filepath) as reader:
        config = _check_config(reader.read_json("config.json") if reader.has("config.json")
                               else _missing(reader, "config.json"), reader.path)
        weights = _manifest(config["weights"], ("path", "member"), "weights", reader)
        planned = {entry["path"]: reader.array_header(entry["member"]) for entry in weights}
        with _as_file_error(reader.path, "its architecture"), \
                custom_object_scope(custom_objects), planned_weights(planned):
            model = Sequential.from_config(_model_config(config["model"]), custom_objects)
            if not model.built:
                raise ValueError("the architecture has no input shape, so it has no weights")
        values, by_path = _read_weights(reader, model,
                                        {e["path"]: e["member"] for e in weights})
        state = None
        if compile and config["compile"] is not None:
            with _as_file_error(reader.path, "its compile settings"), \
                    custom_object_scope(custom_objects):
                model.compile_from_config(config["compile"], custom_objects)
            if config["optimizer"] is not None:
                state = _read_optimizer_state(reader, model, config["optimizer"], by_path)
    _assign(model.weights, values)
    if state is not None:
        _apply_optimizer_state(model, state)
    return model


def load_weights(model, filepath):
    """Read every weight of ``model`` from a weights file (or a model file), checking all of
    them before assigning any. Weights are matched by path name, or by position when the
    names differ (a model built anew names its layers ``dense_2``, ... instead of ``dense``).

    Parameters
    ----------
    model : Sequential
        A built model.
    filepath : str or path-like
        A file written by ``model.save_weights`` or ``model.save``.

    Raises
    ------
    ModelFileError
        If a weight is missing, has the wrong shape, or the file holds others.
    """
    model._require_built("load_weights")
    with ArchiveReader(filepath) as reader:
        if reader.has("config.json"):
            config = _check_config(reader.read_json("config.json"), reader.path)
            entries = _manifest(config["weights"], ("path", "member"), "weights", reader)
            members = {e["path"]: e["member"] for e in entries}
        else:
            members = {name[:-len(".npy")]: name for name in reader.members}
            if any(not name.endswith(".npy") for name in reader.members):
                raise ModelFileError(f"{reader.path!r} is not a weights file: it holds "
                                     f"{sorted(reader.members)}.")
        values, _ = _read_weights(reader, model, members)
    _assign(model.weights, values)


def _read_weights(reader, model, members):
    """Every weight's array from ``{path: member}`` (in the file's weight order), checked
    against the model's weights: matched by path, or, when the paths differ (layers named
    apart, as in two models built the same way), by position, as Keras matches them.

    Returns the arrays in ``model.weights`` order and ``{path in the file: weight}``.
    """
    weights = model.weights
    by_path = {w.path: w for w in weights}
    if sorted(by_path) != sorted(members):
        if len(members) != len(weights):
            missing = sorted(set(by_path) - set(members))
            raise ModelFileError(
                f"{reader.path!r} holds {len(members)} weights, the model has {len(weights)} "
                f"(missing by name: {missing})."
            )
        by_path = dict(zip(members, weights))
    arrays = {id(w): _cast(reader, members[p], w) for p, w in by_path.items()}
    return [arrays[id(w)] for w in weights], by_path


def _cast(reader, member, variable):
    """The member's array in the variable's dtype; values its dtype cannot hold are refused
    here, before anything is assigned."""
    array = reader.read_array(member, variable.shape)
    with np.errstate(all="ignore"):
        cast = array.astype(variable.dtype)
    if np.isfinite(array).all() and not np.isfinite(cast).all():
        raise ModelFileError(f"{reader.path!r}: {member!r} holds values beyond the range of "
                             f"{variable.dtype} for {variable.path}.")
    return cast


def _check_unique_paths(model):
    paths = [w.path for w in model.weights]
    repeated = sorted({p for p in paths if paths.count(p) > 1})
    if repeated:
        raise ValueError(f"The model's weights do not have unique paths ({repeated}); they "
                         "could not be told apart in a file. Give the layers distinct names.")


def _read_optimizer_state(reader, model, config, weights_by_path):
    """``(iterations, slot variables, arrays)`` for ``model.optimizer``, built for the
    weights the file keeps state for (``weights_by_path`` maps the file's weight paths)."""
    entries = _manifest(config.get("variables"), ("path", "weight", "member"),
                        "optimizer variables", reader)
    if set(config) != {"iterations", "variables"}:
        raise ModelFileError(f"{reader.path!r}: the optimizer entry must hold exactly "
                             f"'iterations' and 'variables', got {sorted(config)}.")
    iterations = config["iterations"]
    if not isinstance(iterations, int) or isinstance(iterations, bool) \
            or not 0 <= iterations < 2**53:
        raise ModelFileError(f"{reader.path!r}: the optimizer's iterations must be an integer "
                             f"in [0, 2**53), got {validation.describe(iterations)}.")
    owners = list(dict.fromkeys(e["weight"] for e in entries))
    # A weight frozen after training keeps its state, as in Keras (it resumes when unfrozen).
    unknown = [p for p in owners if p not in weights_by_path]
    if unknown:
        raise ModelFileError(f"{reader.path!r}: optimizer state for {unknown}, which are not "
                             "weights of the model.")
    optimizer = model.optimizer
    if not optimizer.slot_names():  # (SGD without momentum) only the iteration count
        if entries:
            raise ModelFileError(f"{reader.path!r}: optimizer state {[e['path'] for e in entries]}"
                                 f" for {type(optimizer).__name__}, which keeps none.")
        return iterations, [], []
    optimizer.build([weights_by_path[p] for p in owners])
    kept = [w for w in optimizer.built_variables if w in set(weights_by_path.values())]
    slots = [s for k in range(len(optimizer.slot_names())) for s in
             (optimizer.slots_for(w)[k] for w in kept)]
    # Each entry must be the slot it stands in for: the slot kinds in order, each for every
    # weight in order (the paths may differ in their layer names, as the weights' may).
    expected = [(owner, name) for name in optimizer.slot_names() for owner in owners]
    if len(slots) != len(entries) or kept != [weights_by_path[p] for p in owners] \
            or any(e["weight"] != owner or not e["path"].endswith("_" + name)
                   for e, (owner, name) in zip(entries, expected)):
        raise ModelFileError(
            f"{reader.path!r}: the optimizer state {[e['path'] for e in entries]} does not "
            f"fit {type(optimizer).__name__}, which keeps {[s.path for s in slots]}."
        )
    arrays = [reader.read_array(e["member"], s.shape) for e, s in zip(entries, slots)]
    return iterations, slots, arrays


def restore_training_state(model, filepath):
    """Set a built, compiled model's weights and optimizer state (and iteration count)
    from a model file, as ``BackupAndRestore`` does; everything is checked before anything
    is assigned."""
    model._require_built("restore_training_state")
    with ArchiveReader(filepath) as reader:
        config = _check_config(reader.read_json("config.json") if reader.has("config.json")
                               else _missing(reader, "config.json"), reader.path)
        entries = _manifest(config["weights"], ("path", "member"), "weights", reader)
        values, by_path = _read_weights(reader, model, {e["path"]: e["member"] for e in entries})
        state = None
        if config["optimizer"] is not None:
            state = _read_optimizer_state(reader, model, config["optimizer"], by_path)
    _assign(model.weights, values)
    if state is not None:
        _apply_optimizer_state(model, state)


def _apply_optimizer_state(model, state):
    iterations, slots, arrays = state
    _assign(slots, arrays)
    model.optimizer.iterations = iterations


def _assign(variables, arrays):
    for variable, array in zip(variables, arrays):
        variable.value[...] = array


# ---------------------------------------------------------------------- checks
def _check_config(config, path):
    if not isinstance(config, dict) or config.get("format") != "minikeras":
        raise ModelFileError(f"{path!r} is not a minikeras model file (its config.json has "
                             "no 'format': 'minikeras').")
    unknown = set(config) - _KEYS
    missing = _KEYS - set(config)
    if unknown or missing:
        raise ModelFileError(f"{path!r}: config.json has unknown keys {sorted(unknown)} or "
                             f"lacks {sorted(missing)}.")
    version = config["format_version"]
    if not isinstance(version, int) or isinstance(version, bool) or version != FORMAT_VERSION:
        raise ModelFileError(
            f"{path!r} has file format version {version!r}; minikeras {__version__} reads "
            f"version {FORMAT_VERSION} (a newer minikeras may read it)."
        )
    if not isinstance(config["minikeras_version"], str):
        raise ModelFileError(f"{path!r}: config.json's 'minikeras_version' must be a string.")
    for key, kind in (("compile", dict), ("optimizer", dict)):
        if config[key] is not None and not isinstance(config[key], kind):
            raise ModelFileError(f"{path!r}: config.json's {key!r} must be an object or "
                                 f"null, got {validation.describe(config[key])}.")
    return config


def _model_config(entry):
    if not isinstance(entry, dict) or entry.get("class_name") != "Sequential" \
            or set(entry) != {"class_name", "config"}:
        raise ValueError(f"the model entry must be {{'class_name': 'Sequential', 'config': "
                         f"...}}, got {validation.describe(entry)}")
    return entry["config"]


def _manifest(entries, keys, what, reader):
    """Check a list of ``{key: str}`` records naming existing, distinct members."""
    if not isinstance(entries, list):
        raise ModelFileError(f"{reader.path!r}: the {what} list is missing or malformed.")
    seen = set()
    for entry in entries:
        if not isinstance(entry, dict) or set(entry) != set(keys) \
                or not all(isinstance(entry[k], str) for k in keys):
            raise ModelFileError(f"{reader.path!r}: malformed {what} entry "
                                 f"{validation.describe(entry)}; expected string keys {keys}.")
        if not reader.has(entry["member"]) or entry["member"] in seen:
            raise ModelFileError(f"{reader.path!r}: the {what} entry {entry['path']!r} names "
                                 f"the missing or repeated member {entry['member']!r}.")
        seen.add(entry["member"])
    return entries


def _missing(reader, member):
    raise ModelFileError(f"{reader.path!r} is not a minikeras model file: it has no {member} "
                         "(a weights file is read with model.load_weights).")


@contextlib.contextmanager
def _as_file_error(path, what):
    """Turn any failure while rebuilding from the file's config into a ModelFileError."""
    try:
        yield
    except ModelFileError:
        raise
    except Exception as error:
        raise ModelFileError(f"{path!r}: could not rebuild {what}: {error}") from error
