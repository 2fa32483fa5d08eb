"""Adversarial objectives: the paper's Wasserstein form (Eq. 4/6), WGAN-GP, LSGAN and the vanilla GAN.

The paper writes the discriminator's game as the original minimax (Eq. 4:
``E[log D(x)] + E[log(1 - D(G(z)))]``) but trains the generator on ``sum -D(G(I_B))`` (Eq. 6), the
Wasserstein critic form; ``kind='wgan'`` is that pair with the logs dropped, ``kind='vanilla'`` is
Eq. 4 literally (with the usual non-saturating generator loss). A Wasserstein critic must be kept
Lipschitz: by weight clipping (``wgan``; the trainer clips) or by the gradient penalty (``wgan-gp``).

Discriminator outputs are raw scores (no sigmoid) of any shape: (B, 1) from ``paper-d`` or a patch map
(B, 1, h, w) from ``patch-d``; every loss averages over all of them.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from qrdeblur.errors import UsageError

KINDS = ("wgan", "wgan-gp", "lsgan", "vanilla")


class AdversarialLoss(nn.Module):
    """The generator's adversarial term and the discriminator's objective, for one GAN ``kind``.

    ``weight`` scales :meth:`generator_loss` only (it is one term of the generator's weighted sum).
    :meth:`discriminator_loss` is the discriminator's whole objective and stays unweighted, as in
    BasicSR's ``GANLoss``: scaling it would only change D's step size under Adam, and would upset the
    balance with the gradient penalty, whose ``gp_weight`` (10, Gulrajani et al.) is relative to the
    unscaled critic loss.

    Args:
        kind: ``'wgan'``, ``'wgan-gp'``, ``'lsgan'`` or ``'vanilla'``.
        weight: multiplier of the generator's adversarial term (from the config).
        gp_weight: multiplier of the gradient penalty (``wgan-gp``).

    Shape:
        - d_real, d_fake: discriminator scores, (B, 1) or (B, 1, h, w); raw, no sigmoid
        - Output of every loss: scalar

    Example:
        >>> adv = AdversarialLoss("wgan", weight=0.01)
        >>> adv.generator_loss(torch.ones(4, 1))
        tensor(-0.0100)
    """

    def __init__(self, kind: str = "wgan", weight: float = 1.0, gp_weight: float = 10.0):
        super().__init__()
        if kind not in KINDS:
            raise UsageError(f"unknown adversarial loss kind {kind!r}; choose one of: {', '.join(KINDS)}")
        self.kind = kind
        self.weight = float(weight)
        self.gp_weight = float(gp_weight)

    def generator_loss(self, d_fake: torch.Tensor) -> torch.Tensor:
        """Weighted adversarial term of the generator, from D's scores of generated images.

        wgan / wgan-gp: ``mean(-D(G(x)))`` (Eq. 6, averaged instead of summed so the weight does not
        depend on the batch size); lsgan: ``mean((D(G(x)) - 1)^2)``; vanilla: ``BCE(D(G(x)), 1)``.
        """
        if self.kind in ("wgan", "wgan-gp"):
            loss = -d_fake.mean()
        elif self.kind == "lsgan":
            loss = F.mse_loss(d_fake, torch.ones_like(d_fake))
        else:
            loss = F.binary_cross_entropy_with_logits(d_fake, torch.ones_like(d_fake))
        return self.weight * loss

    def discriminator_loss(self, d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
        """Discriminator objective to minimise (unweighted, see the class docstring).

        wgan / wgan-gp: ``mean(D(G(x))) - mean(D(y))`` (Eq. 4 without the logs: D maximises the score
        gap); lsgan: ``mean((D(y) - 1)^2) + mean(D(G(x))^2)``; vanilla: ``BCE(D(y), 1) + BCE(D(G(x)), 0)``,
        i.e. Eq. 4 negated.
        """
        if self.kind in ("wgan", "wgan-gp"):
            return d_fake.mean() - d_real.mean()
        if self.kind == "lsgan":
            return F.mse_loss(d_real, torch.ones_like(d_real)) + F.mse_loss(d_fake, torch.zeros_like(d_fake))
        return F.binary_cross_entropy_with_logits(
            d_real, torch.ones_like(d_real)
        ) + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake))

    def gradient_penalty(
        self,
        discriminator: Callable[[torch.Tensor], torch.Tensor],
        real: torch.Tensor,
        fake: torch.Tensor,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """WGAN-GP penalty ``gp_weight * mean((||grad D(x_hat)||_2 - 1)^2)`` (Gulrajani et al. 2017).

        ``x_hat`` mixes each real image with its fake at a uniform random ratio; the gradient is taken
        with ``create_graph=True`` so the penalty trains the discriminator. Both inputs are detached.

        Args:
            discriminator: the critic.
            real: sharp images.
            fake: generated images (same shape).
            generator: torch RNG for the mixing ratios (None = the global one).

        Shape:
            - real, fake: (B, C, H, W)
            - Output: scalar
        """
        if real.shape != fake.shape:
            raise UsageError(
                f"gradient_penalty: real shape {tuple(real.shape)} != fake shape {tuple(fake.shape)}"
            )
        shape = (real.shape[0],) + (1,) * (real.ndim - 1)  # one ratio per image
        alpha = torch.rand(shape, generator=generator, dtype=real.dtype, device=real.device)
        x_hat = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
        scores = discriminator(x_hat)
        (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)
        norms = torch.linalg.vector_norm(grad.flatten(1), dim=1)
        return self.gp_weight * ((norms - 1) ** 2).mean()
