"""``StepPlan``: what one batch costs, resolved once per compile and trainable state.

A plan fixes, for one model: the loss head (fused with the output activation or not), the
trainable and regularized variables, the layers that must back-propagate, and how
gradients are computed ("backprop": each layer's ``backward``; "autograd": autograd
differentiates the whole loss). The model derives a new plan when its structure, its
compile settings or any weight's ``trainable`` flag changes (its :attr:`signature`).
"""

import contextlib
import math

import autograd

from .. import regularizers
from ..hierarchy import defined_below
from ..layers.activation_head import ActivationHead
from ..layers.base import has_own_backward

__all__ = ["StepPlan", "can_fuse_output", "check_references", "trainable_signature", "unique"]


def can_fuse_output(layer):
    """True if ``layer`` offers the :class:`ActivationHead` methods, written for its own
    ``call`` and ``backward`` and for one another (a subclass changing ``call`` or
    ``logits`` alone does not qualify)."""
    cls = type(layer)
    return (isinstance(layer, ActivationHead) and has_own_backward(cls)
            and all(defined_below(cls, method, "call", "backward")
                    for method in ("logits", "forward_logits", "backward_from_logits"))
            and all(defined_below(cls, method, "logits")
                    for method in ("forward_logits", "backward_from_logits")))


def check_references(layers):
    """Check how ``layers`` (a model's, built or not) use one another; True if one uses
    another's weights (tied weights): a layer held by two of them, a layer held by a layer
    inside one of them while it belongs to another, or a weight of one kept in an attribute
    of another.

    Raises
    ------
    ValueError
        If a layer holds a layer or a weight from outside the model (its gradient would be
        lost), or keeps weights in a list, tuple or dict (where autograd cannot reach them).
    """
    groups = [top._flatten_layers() for top in layers]
    members = {id(layer) for group in groups for layer in group}
    owned = {id(w): i for i, group in enumerate(groups) for layer in group
             for w in layer._variables}
    tied = len(members) != sum(len(group) for group in groups)
    for i, group in enumerate(groups):
        for layer in group:
            for held in layer._referenced_layers():
                if id(held) not in members:
                    raise ValueError(
                        f"Layer {layer.name!r} holds layer {held.name!r}, which is not in this "
                        "model: its weights would not train. A layer can be used in one "
                        "model only; copy it with from_config(get_config()) and set_weights, "
                        "or add the layer it belongs to.")
                tied = tied or not any(held is g for g in group)
            for w in layer._tracked.values():
                if id(w) not in owned:
                    raise ValueError(f"Layer {layer.name!r} holds weight {w.path!r} of a layer "
                                     "outside this model: it would not train.")
                tied = tied or owned[id(w)] != i
            hidden = [w.path for w in layer._weights_in_containers()]
            if hidden:
                raise ValueError(
                    f"Layer {layer.name!r} keeps weight(s) {hidden} in a list, tuple or dict, "
                    "where autograd cannot reach them; assign each to an attribute.")
    return tied


def unique(items):
    """``items`` without repeats (by identity: ``==`` on variables is elementwise), in
    order."""
    return list({id(item): item for item in items}.values())


def trainable_signature(layers, weights):
    """The ``trainable`` flags of ``layers`` and ``weights``: a plan stays valid while
    they are unchanged."""
    return tuple([layer.trainable for layer in layers] + [w.trainable for w in weights])


class StepPlan:
    """The resolved training and evaluation step of a model.

    Parameters
    ----------
    layers : list of Layer
        The model's layers, built.
    loss : Loss
    optimizer : Optimizer
    mode : {"backprop", "autograd"}
    jit : bool
        Whether the optimizer runs its compiled update (if it has one).
    """

    def __init__(self, layers, loss, optimizer, mode, jit=False):
        self.layers = list(layers)
        self.loss = loss
        self.optimizer = optimizer
        self.mode = mode
        self.jit = jit
        self.weights = unique([w for layer in self.layers for w in layer.weights])
        self.signature = trainable_signature(self.layers, self.weights)
        self.trainable = unique([w for layer in self.layers for w in layer.trainable_weights])
        self.regularized = [w for w in self.trainable if w.regularizer is not None]
        # A layer using another layer of the model (tied weights) takes part in that
        # layer's gradient, which each layer's backward alone would miss: autograd then.
        self.tied = check_references(self.layers)
        last = self.layers[-1]
        # The fused heads work on a batch of rows: outputs with more axes take the loss's
        # own path.
        self.fused_loss = (loss.fused_with(last.activation)
                           if can_fuse_output(last) and len(last.output_shape or ()) == 2
                           else None)
        # Layers before the first one with trainable weights need no backward pass, and that
        # one needs no gradient for its inputs (set on the layers at the first training step).
        self.first_trained = next((i for i, layer in enumerate(self.layers)
                                   if layer.trainable_weights), len(self.layers))
        # The backprop step, resolved: the layers before the first trained one run forward
        # without recording, the rest run their training passes up to the head (the last
        # layer, or its logits when the loss is fused) and back.
        first, head = self.first_trained, len(self.layers) - (self.fused_loss is not None)
        passes = [layer.training_pass() for layer in self.layers[first:head]]
        self._untraced = self.layers[:first]
        self._forwards = [forward for forward, _ in passes]
        self._backwards = [backward for _, backward in reversed(passes)]
        self._told = False  # whether the layers know which input gradients are needed

    # ---------------------------------------------------------------- training
    def is_current(self, loss, optimizer, mode, jit):
        """True if the plan still describes the model: the same compile settings and no
        weight frozen or unfrozen since it was made."""
        return (self.loss is loss and self.optimizer is optimizer and self.mode == mode
                and self.jit == jit
                and self.signature == trainable_signature(self.layers, self.weights))

    def train_step(self, x, y, sample_weight, outputs=True):
        """Gradients for the batch, then one optimizer step; returns ``(loss, outputs)``.

        A batch whose loss is not finite takes no step: its gradients would spoil every
        weight. With ``outputs=False`` (no metric reads them) the model's outputs may be
        None: a fused softmax head then skips computing the probabilities.
        """
        loss, outputs = self.gradients(x, y, sample_weight, self.mode, outputs)
        if self.trainable and math.isfinite(loss):
            self.optimizer.update(self.trainable, self.jit)
        return loss, outputs

    def gradients(self, x, y, sample_weight, mode, outputs=True):
        """Fill every trainable weight's ``grad``; returns ``(loss, outputs)`` (outputs
        possibly None with ``outputs=False``, see :meth:`train_step`). A model with tied
        weights is always differentiated by autograd."""
        if mode == "autograd" or self.tied:
            return self._gradients_by_autograd(x, y, sample_weight)
        return self._gradients_by_backprop(x, y, sample_weight, outputs)

    def _gradients_by_backprop(self, x, y, sample_weight, outputs=True):
        if not self._told:
            for i, layer in enumerate(self.layers):
                layer.input_gradient_needed = i > self.first_trained
            self._told = True
        if self.first_trained == len(self.layers):  # nothing trains: the loss alone
            outputs, loss = self.outputs_and_loss(x, y, sample_weight, training=True)
            return float(loss), outputs
        for layer in self._untraced:
            x = layer.call_with(x, True)
        for forward in self._forwards:
            x = forward(x, True)
        if self.fused_loss is not None:
            last = self.layers[-1]
            loss, grad, outputs = self.fused_loss.value_and_gradient_from_logits(
                y, last.forward_logits(x), sample_weight, outputs)
            grad = last.backward_from_logits(grad)
        else:
            outputs = x
            loss, grad = self.loss.value_and_gradient(y, outputs, sample_weight)
        loss = float(loss)
        for backward in self._backwards:
            grad = backward(grad)
        for w in self.regularized:
            loss += float(regularizers.penalty(w.regularizer, w.value, w.path))
            w.grad += regularizers.penalty_gradient(w.regularizer, w.value)
        return loss, outputs

    def release(self):
        """Leave every layer computing its input gradient again, as a layer on its own does
        (``fit`` calls this when it ends)."""
        for layer in self.layers:
            layer.input_gradient_needed = True
        self._told = False

    def _gradients_by_autograd(self, x, y, sample_weight):
        seen = {}

        def objective(values):
            with self.substituted(dict(zip(self.trainable, values))):
                outputs, loss = self.outputs_and_loss(x, y, sample_weight, training=True)
                seen["outputs"] = outputs
                return loss + sum(regularizers.penalty(w.regularizer, v, w.path)
                                  for w, v in zip(self.trainable, values)
                                  if w.regularizer is not None)

        if not self.trainable:
            outputs, loss = self.outputs_and_loss(x, y, sample_weight, training=True)
            return float(loss), outputs
        loss, grads = autograd.value_and_grad(objective)([w.value for w in self.trainable])
        for w, g in zip(self.trainable, grads):
            w.grad[...] = g
        outputs = seen["outputs"]
        return float(loss), getattr(outputs, "_value", outputs)

    @contextlib.contextmanager
    def substituted(self, values):
        """Every layer's weight attributes hold ``values[weight]`` (or the raw value)."""
        with contextlib.ExitStack() as stack:
            for layer in self.layers:
                stack.enter_context(layer.substituted(values))
            yield

    # ---------------------------------------------------------------- evaluation
    def outputs_and_loss(self, x, y, sample_weight, training=False):
        """``(outputs, loss)`` on a batch through each layer's ``call``, without side effects;
        a fused loss is computed from the logits, exactly."""
        layers = self.layers
        if self.fused_loss is None:
            for layer in layers:
                x = layer.call_with(x, training)
            return x, self.loss(y, x, sample_weight)
        for layer in layers[:-1]:
            x = layer.call_with(x, training)
        last = layers[-1]
        z = last.logits(x)
        return last.activation(z), self.fused_loss(y, z, sample_weight)

    def regularization_penalty(self):
        """The regularizers' penalty on the trainable weights (added to reported losses)."""
        return sum(float(regularizers.penalty(w.regularizer, w.value, w.path))
                   for w in self.regularized)
