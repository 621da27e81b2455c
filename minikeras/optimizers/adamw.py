"""AdamW: Adam with decoupled weight decay."""

from .adam import Adam
from .base import register

__all__ = ["AdamW"]


@register("adamw")
class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter, 2019).

    Each step first shrinks every variable not excluded with
    :meth:`~minikeras.optimizers.Optimizer.exclude_from_weight_decay`, then applies Adam's
    update (Keras 3), with ``t = iterations + 1``::

        w = w - w * weight_decay * learning_rate
        m = m + (g - m) * (1 - beta_1)
        v = v + (g ** 2 - v) * (1 - beta_2)
        v_hat = max(v_hat, v); v = v_hat                  # amsgrad=True only
        alpha = learning_rate * sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
        w = w - alpha * m / (sqrt(v) + epsilon)

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
    weight_decay : float >= 0, default 0.004
        Required: ``None`` is refused, as in Keras (use :class:`Adam` for no decay).
    beta_1, beta_2 : float in [0, 1), default 0.9 and 0.999
    epsilon : float >= 0, default 1e-7
    amsgrad : bool, default False
    **kwargs
        ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``name`` (see
        :class:`~minikeras.optimizers.Optimizer`).
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, **kwargs):
        if weight_decay is None:
            raise ValueError("Argument `weight_decay` of AdamW must be a float >= 0, got None "
                             "(use Adam for no weight decay).")
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2,
                         epsilon=epsilon, amsgrad=amsgrad, weight_decay=weight_decay, **kwargs)
