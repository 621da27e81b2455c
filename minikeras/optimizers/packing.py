"""Flat buffers, so that an elementwise optimizer updates many variables in one numpy call.

A :class:`PackedGroup` holds, for the variables of one dtype, their values, their gradients,
the optimizer's slots and two scratch arrays, each as one flat array; every variable (and
every slot variable) is given a view of its stretch of them. An elementwise update run over
a stretch gives each entry exactly the arithmetic it would get alone, so results do not
change: only the number of Python-level calls drops (a dozen per step for a whole model
instead of a dozen per weight).

Packing is derived state. A copy or a pickle of the variables no longer shares the flat
arrays (each view becomes an array of its own); :meth:`PackedGroup.intact` notices, and the
optimizer packs again, copying the current values in.
"""

import numpy as np

__all__ = ["PackedGroup", "Segment", "pack"]


class Segment:
    """Views of one contiguous stretch of a group: what one ``update_step`` call updates."""

    __slots__ = ("grad", "value", "slots", "scratch")

    def __init__(self, group, start, stop, shape=None):
        def view(flat):
            part = flat[start:stop]
            return part if shape is None else part.reshape(shape)

        self.grad = view(group.grads)
        self.value = view(group.values)
        self.slots = [view(flat) for flat in group.slots]
        self.scratch = [view(flat) for flat in group.scratch]


class PackedGroup:
    """The variables of one dtype and their slot variables, gathered into flat arrays.

    Parameters
    ----------
    variables : list of Variable
    slots : list of list of Variable
        ``slots[i]`` are the optimizer's state variables for ``variables[i]``.
    """

    def __init__(self, variables, slots):
        dtype = variables[0].dtype
        sizes = [v.size for v in variables]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int).tolist()
        total = self.offsets[-1]
        kinds = len(slots[0])
        self.variables = list(variables)
        self.slot_variables = [list(s) for s in slots]
        self.values = np.empty(total, dtype=dtype)
        self.grads = np.zeros(total, dtype=dtype)
        self.slots = [np.empty(total, dtype=dtype) for _ in range(kinds)]
        self.scratch = [np.empty(total, dtype=dtype) for _ in range(2)]
        for i, variable in enumerate(self.variables):
            start, stop = self.offsets[i], self.offsets[i + 1]
            variable.relocate(self.values[start:stop].reshape(variable.shape),
                              self.grads[start:stop].reshape(variable.shape))
            for flat, slot in zip(self.slots, self.slot_variables[i]):
                slot.relocate(flat[start:stop].reshape(variable.shape), None)

    def intact(self):
        """True while every variable still lives in this group's flat arrays."""
        values = self.values
        for variable in self.variables:
            if variable._value.base is not values:  # the hot path: no property call
                return False
        return not self.slots or self.slot_variables[0][0].value.base is self.slots[0]

    def segments(self, positions, merge):
        """Segments covering the variables at ``positions`` (sorted): one per variable, or,
        with ``merge``, one per run of neighbours (the whole group if all are given)."""
        if not merge:
            return [Segment(self, self.offsets[p], self.offsets[p + 1], self.variables[p].shape)
                    for p in positions]
        runs = []
        for p in positions:
            if runs and runs[-1][1] == p:
                runs[-1][1] = p + 1
            else:
                runs.append([p, p + 1])
        return [Segment(self, self.offsets[a], self.offsets[b]) for a, b in runs]


def pack(variables, slots):
    """Gather ``variables`` (with their ``slots``) into one :class:`PackedGroup` per dtype.

    Returns
    -------
    dict
        ``{variable: (group, position in the group)}``
    """
    by_dtype = {}
    for variable, own_slots in zip(variables, slots):
        by_dtype.setdefault(variable.dtype.str, []).append((variable, own_slots))
    where = {}
    for members in by_dtype.values():
        group = PackedGroup([v for v, _ in members], [s for _, s in members])
        for position, (variable, _) in enumerate(members):
            where[variable] = (group, position)
    return where
