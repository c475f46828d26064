"""Train Easel's built-in demo model and export it as an ONNX Stable Diffusion folder.

A tiny latent diffusion model with the same interfaces as Stable Diffusion 1.5 (CLIP-format
tokenizer, text encoder, cross-attention UNet on 4-channel latents, VAE with 8x down-sampling,
SD's noise schedule), trained only on synthetic pictures this script draws itself: a shape of
one colour on a background of another. Phases:

  1. tokenizer      BPE merges that make every caption word one token
  2. autoencoder    64x64 RGB <-> 4x8x8 latents; scaling factor from the latent spread
  3. latents        encode a fixed, seeded set of scenes once
  4. diffusion      UNet + text encoder together, epsilon prediction, 10% empty captions
  5. decoder        more decoder training on the frozen encoder (sharper edges, same latents)
  6. evaluation     sample held-out and seen prompts, classify the pictures, print accuracy
  7. export         ONNX (opset 14, dynamic batch/height/width) + configs + model card

Run:  nice -n 15 /usr/bin/python3 tools/demo-model/train.py --out resources/models/easel-demo
Deterministic for a given thread count (seeded numpy and torch generators throughout).
"""
import argparse
import copy
import json
import math
import os
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clip_bpe import CONTEXT_LENGTH, write_tokenizer  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

# ---------------------------------------------------------------------------------------------
# The synthetic world
# ---------------------------------------------------------------------------------------------

IMAGE_SIZE = 64
LATENT_CHANNELS = 4
DOWNSAMPLE = 8
TEXT_DIM = 64  # width of the text encoder's hidden states = the UNet's cross-attention dim

# Saturated, far-apart colours so a picture's colours can be named by nearest palette entry.
PALETTE = {
    "red": (220, 30, 30),
    "green": (30, 170, 50),
    "blue": (30, 70, 220),
    "yellow": (250, 220, 30),
    "orange": (250, 130, 0),
    "purple": (130, 40, 180),
    "white": (245, 245, 245),
    "black": (15, 15, 15),
}
COLOURS = list(PALETTE)
SHAPES = ["circle", "square", "triangle", "star"]

# Star inner/outer radius ratio of a regular pentagram: its fill of the bounding box (~0.33)
# stays well apart from the triangle's (0.5), circle's (0.79) and square's (1.0).
STAR_INNER = 0.382

# Full captions; {a_c}/{a_b} are the right article for the colour that follows.
FULL_TEMPLATES = [
    "{a_c} {c} {s} on {a_b} {b} background",
    "{c} {s} on {a_b} {b} background",
    "{c} {s}, {b} background",
    "{a_b} {b} background with {a_c} {c} {s}",
    "{a_c} {c} {s} on {b}",
    "{a_c} {c} {s} in front of {a_b} {b} background",
    "{a_c} {c} {s} on the {b} background",
    "a picture of {a_c} {c} {s} on {a_b} {b} background",
]
# Background left unsaid: the model picks one.
PARTIAL_TEMPLATE = "{a_c} {c} {s}"
EMPTY_CAPTION_P = 0.10
PARTIAL_CAPTION_P = 0.08

# Combinations never drawn during training (neither as image nor caption), to test composition.
# Every colour is held out once as shape and once as background, every shape twice.
HELD_OUT = [
    ("red", "circle", "blue"),
    ("green", "square", "yellow"),
    ("blue", "triangle", "white"),
    ("yellow", "star", "purple"),
    ("orange", "circle", "black"),
    ("purple", "square", "green"),
    ("white", "triangle", "red"),
    ("black", "star", "orange"),
]


def article(word):
    return "an" if word[0] in "aeiou" else "a"


def caption(template, colour, shape, background):
    return template.format(a_c=article(colour), c=colour, s=shape, a_b=article(background), b=background)


def all_combos():
    return [(c, s, b) for c in COLOURS for s in SHAPES for b in COLOURS if b != c]


def caption_words():
    words = set()
    for template in FULL_TEMPLATES + [PARTIAL_TEMPLATE]:
        for combo in all_combos():
            words.update(caption(template, *combo).replace(",", " , ").split())
    return sorted(words)


def shape_mask(shape, cx, cy, size, grid):
    """Coverage of a shape on a pixel grid (supersampled by the caller for anti-aliasing)."""
    ys, xs = grid
    dx, dy = xs - cx, ys - cy
    if shape == "circle":
        return dx * dx + dy * dy <= size * size
    if shape == "square":
        half = size * 0.9
        return (np.abs(dx) <= half) & (np.abs(dy) <= half)
    if shape == "triangle":
        half = size * 1.1
        # Apex up, base down; the half-width grows linearly from the apex to `half` at the base.
        return (dy <= half) & (np.abs(dx) <= (dy + half) / 2)
    if shape == "star":
        outer = size * 1.35
        angles = -math.pi / 2 + np.arange(10) * math.pi / 5
        radii = np.where(np.arange(10) % 2 == 0, outer, outer * STAR_INNER)
        vx, vy = radii * np.cos(angles), radii * np.sin(angles)
        # Each point lies in one 36-degree sector; inside if on the centre's side of its edge.
        theta = np.arctan2(dy, dx)
        k = np.floor(((theta + math.pi / 2) % (2 * math.pi)) / (math.pi / 5)).astype(int) % 10
        ax, ay, bx, by = vx[k], vy[k], vx[(k + 1) % 10], vy[(k + 1) % 10]
        point_side = (bx - ax) * (dy - ay) - (by - ay) * (dx - ax)
        centre_side = (bx - ax) * (-ay) - (by - ay) * (-ax)
        return point_side * centre_side >= 0
    raise ValueError(shape)


def shape_extent(shape, size):
    """Half width and (top, bottom) extents from the centre, to keep shapes inside the frame."""
    if shape == "circle":
        return size, size, size
    if shape == "square":
        return size * 0.9, size * 0.9, size * 0.9
    if shape == "triangle":
        return size * 1.1, size * 1.1, size * 1.1
    outer = size * 1.35
    return outer * math.sin(2 * math.pi / 5), outer, outer * math.cos(math.pi / 5)


_SUPER = 2
_GRID = np.mgrid[0:IMAGE_SIZE * _SUPER, 0:IMAGE_SIZE * _SUPER].astype(np.float32)
_GRID = ((_GRID[0] + 0.5) / _SUPER, (_GRID[1] + 0.5) / _SUPER)


def random_placement(rng, shape):
    # Large enough that a star's points span more than one 8x8 latent cell.
    size = rng.uniform(11.0, 19.0)
    half_w, top, bottom = shape_extent(shape, size)
    margin = 1.0
    cx = rng.uniform(half_w + margin, IMAGE_SIZE - half_w - margin)
    cy = rng.uniform(top + margin, IMAGE_SIZE - bottom - margin)
    return cx, cy, size


def render(colour, shape, background, cx, cy, size):
    """uint8 HxWx3 picture, 2x2 supersampled."""
    cover = shape_mask(shape, cx, cy, size, _GRID).astype(np.float32)
    cover = cover.reshape(IMAGE_SIZE, _SUPER, IMAGE_SIZE, _SUPER).mean(axis=(1, 3))[..., None]
    fg = np.array(PALETTE[colour], np.float32)
    bg = np.array(PALETTE[background], np.float32)
    return np.round(cover * fg + (1 - cover) * bg).astype(np.uint8)


def to_tensor(images):
    """uint8 NHWC -> float NCHW in [-1, 1] (SD's VAE range)."""
    return torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float() / 127.5 - 1


def random_batch(rng, combos, n):
    picks = rng.randint(len(combos), size=n)
    images = []
    for i in picks:
        c, s, b = combos[i]
        images.append(render(c, s, b, *random_placement(rng, s)))
    return to_tensor(images), picks


# ---------------------------------------------------------------------------------------------
# Networks
# ---------------------------------------------------------------------------------------------

def group_norm(channels):
    return nn.GroupNorm(min(8, channels // 4), channels)


class VaeEncoder(nn.Module):
    """64x64 RGB -> 4x8x8 latent mean. A 4x4 patch embedding keeps full-resolution work small:
    the pictures are flat colour regions, so all the information sits at the edges."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, 64, 4, stride=4), nn.SiLU(),
            nn.Conv2d(64, 64, 3, padding=1), nn.SiLU(),
            nn.Conv2d(64, 128, 2, stride=2), nn.SiLU(),
            nn.Conv2d(128, 128, 3, padding=1), nn.SiLU(),
            nn.Conv2d(128, LATENT_CHANNELS, 1),
        )

    def forward(self, x):
        return self.net(x)


class VaeDecoder(nn.Module):
    """4x8x8 latent -> 64x64 RGB in [-1, 1], up-sampling with pixel shuffles (DepthToSpace).
    Width goes to the 16x16 and 32x32 stages: that is where corners and star points are drawn."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(LATENT_CHANNELS, 128, 3, padding=1), nn.SiLU(),
            nn.Conv2d(128, 128, 3, padding=1), nn.SiLU(),
            nn.Conv2d(128, 128, 3, padding=1), nn.SiLU(),
            nn.Conv2d(128, 96 * 4, 1), nn.PixelShuffle(2), nn.SiLU(),
            nn.Conv2d(96, 96, 3, padding=1), nn.SiLU(),
            nn.Conv2d(96, 48 * 4, 1), nn.PixelShuffle(2), nn.SiLU(),
            nn.Conv2d(48, 48, 3, padding=1), nn.SiLU(),
            nn.Conv2d(48, 3 * 4, 3, padding=1), nn.PixelShuffle(2),
        )

    def forward(self, z):
        return self.net(z)


# Debian's torch uses the reference BLAS, so nn.Linear and bmm run ~10x slower than the oneDNN
# convolutions. While training, dense layers and attention products therefore run as (grouped)
# 1x1 convolutions; the exported graph uses plain MatMul/Gemm. Both compute the same numbers.
TRAIN_WITH_CONVS = True


class Dense(nn.Linear):
    def forward(self, x):
        if not TRAIN_WITH_CONVS:
            return super().forward(x)
        y = F.conv2d(x.reshape(-1, x.shape[-1], 1, 1), self.weight[:, :, None, None], self.bias)
        return y.reshape(*x.shape[:-1], self.out_features)


def matmul_nt(a, b):
    """a [G, n, d] @ b[G, m, d]^T -> [G, n, m]."""
    if not TRAIN_WITH_CONVS:
        return a @ b.transpose(1, 2)
    g, n, d = a.shape
    m = b.shape[1]
    out = F.conv2d(a.transpose(1, 2).reshape(1, g * d, n, 1), b.reshape(g * m, d, 1, 1), groups=g)
    return out.reshape(g, m, n).transpose(1, 2)


def attention(q, k, v, heads, mask=None):
    """Multi-head attention on [B, N, C] tensors, written out so the ONNX graph keeps dynamic N."""
    b, n, c = q.shape
    m = k.shape[1]
    d = c // heads
    q = q.reshape(b, n, heads, d).transpose(1, 2).reshape(b * heads, n, d)
    k = k.reshape(b, m, heads, d).transpose(1, 2).reshape(b * heads, m, d)
    v = v.reshape(b, m, heads, d).transpose(1, 2).reshape(b * heads, m, d)
    scores = matmul_nt(q, k) * (d ** -0.5)
    if mask is not None:
        scores = scores + mask
    out = matmul_nt(torch.softmax(scores, dim=-1), v.transpose(1, 2))
    return out.reshape(b, heads, n, d).transpose(1, 2).reshape(b, n, c)


class TextEncoder(nn.Module):
    """CLIP-like: token + position embeddings, pre-norm transformer with a causal mask."""

    def __init__(self, vocab_size, dim=64, layers=2, heads=4):
        super().__init__()
        self.heads = heads
        self.token = nn.Embedding(vocab_size, dim)
        self.position = nn.Parameter(torch.zeros(CONTEXT_LENGTH, dim))
        nn.init.normal_(self.position, std=0.02)
        self.blocks = nn.ModuleList(
            nn.ModuleDict(dict(
                norm1=nn.LayerNorm(dim), qkv=Dense(dim, 3 * dim), proj=Dense(dim, dim),
                norm2=nn.LayerNorm(dim), mlp=nn.Sequential(Dense(dim, 2 * dim), nn.GELU(), Dense(2 * dim, dim)),
            )) for _ in range(layers))
        self.final_norm = nn.LayerNorm(dim)
        mask = torch.full((CONTEXT_LENGTH, CONTEXT_LENGTH), float("-inf")).triu(1)
        self.register_buffer("causal_mask", mask, persistent=False)

    def forward(self, input_ids):
        x = self.token(input_ids) + self.position
        for blk in self.blocks:
            q, k, v = blk["qkv"](blk["norm1"](x)).chunk(3, dim=-1)
            x = x + blk["proj"](attention(q, k, v, self.heads, self.causal_mask))
            x = x + blk["mlp"](blk["norm2"](x))
        return self.final_norm(x)


def timestep_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, tdim):
        super().__init__()
        self.norm1 = group_norm(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.temb = Dense(tdim, cout)
        self.norm2 = group_norm(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, temb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.temb(temb)[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return self.skip(x) + h


class SpatialTransformer(nn.Module):
    """SD's transformer block on a feature map: self-attention, cross-attention to the text, MLP."""

    def __init__(self, channels, context_dim, heads=4):
        super().__init__()
        self.heads = heads
        self.norm = group_norm(channels)
        self.proj_in = Dense(channels, channels)
        self.norm1 = nn.LayerNorm(channels)
        self.qkv = Dense(channels, 3 * channels)
        self.out1 = Dense(channels, channels)
        self.norm2 = nn.LayerNorm(channels)
        self.q2 = Dense(channels, channels)
        self.kv2 = Dense(context_dim, 2 * channels)
        self.out2 = Dense(channels, channels)
        self.norm3 = nn.LayerNorm(channels)
        self.mlp = nn.Sequential(Dense(channels, 2 * channels), nn.GELU(), Dense(2 * channels, channels))
        self.proj_out = Dense(channels, channels)

    def forward(self, x, context):
        b, c, h, w = x.shape
        tokens = self.proj_in(self.norm(x).flatten(2).transpose(1, 2))
        q, k, v = self.qkv(self.norm1(tokens)).chunk(3, dim=-1)
        tokens = tokens + self.out1(attention(q, k, v, self.heads))
        k, v = self.kv2(context).chunk(2, dim=-1)
        tokens = tokens + self.out2(attention(self.q2(self.norm2(tokens)), k, v, self.heads))
        tokens = tokens + self.mlp(self.norm3(tokens))
        return x + self.proj_out(tokens).transpose(1, 2).reshape(b, c, h, w)


class UNet(nn.Module):
    """Two resolutions (latent size and half of it) with attention everywhere; any latent
    height/width works because up-sampling follows the skip connection's size."""

    def __init__(self, context_dim, ch=(64, 96), tdim=256):
        super().__init__()
        c1, c2 = ch
        self.tdim_in = c1
        self.time_mlp = nn.Sequential(Dense(c1, tdim), nn.SiLU(), Dense(tdim, tdim))
        self.conv_in = nn.Conv2d(LATENT_CHANNELS, c1, 3, padding=1)
        self.down1 = ResBlock(c1, c1, tdim)
        self.attn_d1 = SpatialTransformer(c1, context_dim)
        self.downsample = nn.Conv2d(c1, c1, 3, stride=2, padding=1)
        self.down2 = ResBlock(c1, c2, tdim)
        self.attn_d2 = SpatialTransformer(c2, context_dim)
        self.mid1 = ResBlock(c2, c2, tdim)
        self.attn_mid = SpatialTransformer(c2, context_dim)
        self.up2 = ResBlock(c2 + c2, c2, tdim)
        self.attn_u2 = SpatialTransformer(c2, context_dim)
        self.upconv = nn.Conv2d(c2, c1, 3, padding=1)
        self.up1 = ResBlock(c1 + c1, c1, tdim)
        self.attn_u1 = SpatialTransformer(c1, context_dim)
        self.norm_out = group_norm(c1)
        self.conv_out = nn.Conv2d(c1, LATENT_CHANNELS, 3, padding=1)

    def forward(self, sample, timestep, context):
        # A single timestep for the whole batch is accepted too (Expand is a no-op for [B]).
        timestep = timestep.expand(sample.shape[0])
        temb = self.time_mlp(timestep_embedding(timestep, self.tdim_in))
        x = self.conv_in(sample)
        s1 = self.attn_d1(self.down1(x, temb), context)
        x = self.downsample(s1)
        s2 = self.attn_d2(self.down2(x, temb), context)
        x = self.attn_mid(self.mid1(s2, temb), context)
        x = self.attn_u2(self.up2(torch.cat([x, s2], 1), temb), context)
        x = F.interpolate(x, size=s1.shape[-2:], mode="nearest")
        x = self.upconv(x)
        x = self.attn_u1(self.up1(torch.cat([x, s1], 1), temb), context)
        return self.conv_out(F.silu(self.norm_out(x)))


# ---------------------------------------------------------------------------------------------
# Noise schedule (SD 1.x: scaled_linear betas, 1000 steps)
# ---------------------------------------------------------------------------------------------

TRAIN_STEPS = 1000
BETAS = torch.linspace(0.00085 ** 0.5, 0.012 ** 0.5, TRAIN_STEPS, dtype=torch.float64) ** 2
ALPHAS_CUMPROD = torch.cumprod(1 - BETAS, 0).float()


def ddim_timesteps(steps):
    """diffusers' "leading" spacing with steps_offset 1 (what SD's scheduler config gives)."""
    ratio = TRAIN_STEPS // steps
    return [int(t) for t in (np.arange(steps) * ratio + 1)[::-1]]


@torch.no_grad()
def sample_latents(unet, text, ids, uncond_ids, guidance, steps, generator):
    """Deterministic DDIM (eta 0) with classifier-free guidance; returns unscaled-by-user latents."""
    n = ids.shape[0]
    context = text(torch.cat([uncond_ids, ids]))
    x = torch.randn(n, LATENT_CHANNELS, 8, 8, generator=generator)
    ratio = TRAIN_STEPS // steps
    for t in ddim_timesteps(steps):
        eps_u, eps_c = unet(torch.cat([x, x]), torch.full((2 * n,), t, dtype=torch.long), context).chunk(2)
        eps = eps_u + guidance * (eps_c - eps_u)
        a_t = ALPHAS_CUMPROD[t]
        a_prev = ALPHAS_CUMPROD[t - ratio] if t - ratio >= 0 else ALPHAS_CUMPROD[0]
        x0 = (x - (1 - a_t).sqrt() * eps) / a_t.sqrt()
        x = a_prev.sqrt() * x0 + (1 - a_prev).sqrt() * eps
    return x


# ---------------------------------------------------------------------------------------------
# Picture analysis used by the evaluation (the app's tests do the same kind of check)
# ---------------------------------------------------------------------------------------------

_PALETTE_ARRAY = np.array([PALETTE[c] for c in COLOURS], np.float32)
# Soft fill of the bounding box (see `analyse`): drawn exactly, square 0.96, circle 0.76,
# triangle 0.53, star 0.38; the decoder's softer edges pull these towards the middle
# (about 0.87, 0.73, 0.52, 0.40), so the thresholds sit between the decoded values.
_FILL_THRESHOLDS = [(0.82, "square"), (0.63, "circle"), (0.45, "triangle"), (0.0, "star")]


def analyse(image):
    """Name the background colour, shape colour and shape of a uint8 HxWx3 picture.

    Colours: nearest palette entry of the border (background) and the commonest other entry.
    Shape: fill of the bounding box, measured on a soft mask (how far each pixel has moved from
    the background colour towards the shape colour, faint tints ignored). Summing the soft mask
    keeps the area of a slightly blurred shape, and bounding rows/columns by their mask sum keeps
    faded star points inside the box, so soft edges do not turn stars into triangles.
    """
    px = image.astype(np.float32)
    nearest = np.argmin(((px[:, :, None, :] - _PALETTE_ARRAY) ** 2).sum(-1), axis=-1)
    border = np.concatenate([nearest[:2].ravel(), nearest[-2:].ravel(), nearest[:, :2].ravel(), nearest[:, -2:].ravel()])
    bg = np.bincount(border, minlength=len(COLOURS)).argmax()
    counts = np.bincount(nearest.ravel(), minlength=len(COLOURS))
    counts[bg] = 0
    if counts.max() < 12:
        return COLOURS[bg], None, None
    fg = counts.argmax()
    axis = _PALETTE_ARRAY[fg] - _PALETTE_ARRAY[bg]
    soft = np.clip(((px - _PALETTE_ARRAY[bg]) @ axis) / (axis @ axis), 0, 1)
    soft[soft < 0.2] = 0
    rows = np.nonzero(soft.sum(1) > 1.0)[0]
    cols = np.nonzero(soft.sum(0) > 1.0)[0]
    if len(rows) == 0 or len(cols) == 0:
        return COLOURS[bg], COLOURS[fg], None
    fill = soft.sum() / ((rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1))
    shape = next(name for threshold, name in _FILL_THRESHOLDS if fill >= threshold)
    return COLOURS[bg], COLOURS[fg], shape


# ---------------------------------------------------------------------------------------------
# Training phases
# ---------------------------------------------------------------------------------------------

def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def cosine_lr(step, total, peak, warmup):
    if step < warmup:
        return peak * (step + 1) / warmup
    return peak * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))


def edge_map(x):
    """1 near colour edges of a [-1, 1] NCHW batch (dilated by one pixel), else 0."""
    gx = F.pad((x[..., :, 1:] - x[..., :, :-1]).abs().amax(1, keepdim=True), (0, 1, 0, 0))
    gy = F.pad((x[..., 1:, :] - x[..., :-1, :]).abs().amax(1, keepdim=True), (0, 0, 0, 1))
    return (F.max_pool2d(torch.maximum(gx, gy), 3, stride=1, padding=1) > 0.05).float()


def reconstruction_loss(rec, x):
    # Edges are a few percent of the pixels but all of the shape; weigh them up so corners and
    # star points are not averaged away.
    err = rec - x
    return ((1 + 4 * edge_map(x)) * (err.abs() + err.pow(2))).mean()


def train_autoencoder(args, combos, rng):
    enc, dec = VaeEncoder(), VaeDecoder()
    params = list(enc.parameters()) + list(dec.parameters())
    opt = torch.optim.AdamW(params, lr=2e-3, weight_decay=0.0)
    start = time.time()
    for step in range(args.vae_steps):
        x, _ = random_batch(rng, combos, args.vae_batch)
        z = enc(x)
        # Noise on the latents makes the decoder forgiving of the small errors a diffusion model
        # leaves; the penalty keeps the latent scale from growing to outrun that noise.
        z_noisy = z + args.vae_latent_noise * torch.randn_like(z)
        loss = reconstruction_loss(dec(z_noisy), x) + 1e-3 * z.pow(2).mean()
        for g in opt.param_groups:
            g["lr"] = cosine_lr(step, args.vae_steps, 2e-3, 100)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 100 == 0 or step == args.vae_steps - 1:
            log(f"vae step {step}/{args.vae_steps} loss {loss.item():.4f} latent std {z.std().item():.3f} ({time.time() - start:.0f}s)")
    return enc.eval(), dec.eval()


def refine_decoder(args, enc, dec, combos, rng, gen):
    """More decoder training on the frozen encoder. The latents the UNet learns stay the same,
    so this phase only sharpens the pictures (and could run beside the diffusion phase)."""
    dec = copy.deepcopy(dec).train()
    opt = torch.optim.AdamW(dec.parameters(), lr=1e-3, weight_decay=0.0)
    start = time.time()
    for step in range(args.decoder_steps):
        x, _ = random_batch(rng, combos, args.vae_batch)
        with torch.no_grad():
            z = enc(x)
        loss = reconstruction_loss(dec(z + args.vae_latent_noise * torch.randn(z.shape, generator=gen)), x)
        for g in opt.param_groups:
            g["lr"] = cosine_lr(step, args.decoder_steps, 1e-3, 50)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 100 == 0 or step == args.decoder_steps - 1:
            log(f"decoder step {step}/{args.decoder_steps} loss {loss.item():.4f} ({time.time() - start:.0f}s)")
    return dec.eval()


@torch.no_grad()
def encode_dataset(args, enc, combos, rng):
    latents, labels = [], []
    for start in range(0, args.dataset_size, 256):
        x, picks = random_batch(rng, combos, min(256, args.dataset_size - start))
        latents.append(enc(x))
        labels.append(torch.from_numpy(picks))
    return torch.cat(latents), torch.cat(labels)


def caption_table(tokenizer, combos):
    """Token ids for every (combo, template): [n_combos, n_templates + 1, 77], last = partial."""
    table = []
    for c, s, b in combos:
        rows = [tokenizer.encode_padded(caption(t, c, s, b)) for t in FULL_TEMPLATES + [PARTIAL_TEMPLATE]]
        table.append(rows)
    return torch.tensor(table, dtype=torch.long)


def train_diffusion(args, latents, labels, captions, empty_ids, vocab_size, gen):
    text = TextEncoder(vocab_size, TEXT_DIM)
    unet = UNet(context_dim=TEXT_DIM)
    log(f"unet {sum(p.numel() for p in unet.parameters()) / 1e6:.2f}M params, text encoder "
        f"{sum(p.numel() for p in text.parameters()) / 1e6:.2f}M")
    params = list(text.parameters()) + list(unet.parameters())
    ema = [p.detach().clone() for p in params]
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    n_full = len(FULL_TEMPLATES)
    start = time.time()
    for step in range(args.unet_steps):
        idx = torch.randint(len(latents), (args.unet_batch,), generator=gen)
        x0 = latents[idx]
        combo = labels[idx]
        # Caption choice per example: empty (for guidance), partial (no background), or a full paraphrase.
        u = torch.rand(args.unet_batch, generator=gen)
        template = torch.randint(n_full, (args.unet_batch,), generator=gen)
        template[u < EMPTY_CAPTION_P + PARTIAL_CAPTION_P] = n_full
        ids = captions[combo, template]
        ids[u < EMPTY_CAPTION_P] = empty_ids
        t = torch.randint(TRAIN_STEPS, (args.unet_batch,), generator=gen)
        noise = torch.randn(x0.shape, generator=gen)
        a = ALPHAS_CUMPROD[t][:, None, None, None]
        xt = a.sqrt() * x0 + (1 - a).sqrt() * noise
        loss = F.mse_loss(unet(xt, t, text(ids)), noise)
        for g in opt.param_groups:
            g["lr"] = cosine_lr(step, args.unet_steps, args.lr, 200)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        decay = min(0.999, (1 + step) / (10 + step))
        with torch.no_grad():
            for e, p in zip(ema, params):
                e.mul_(decay).add_(p.detach(), alpha=1 - decay)
        if step % 100 == 0 or step == args.unet_steps - 1:
            log(f"unet step {step}/{args.unet_steps} loss {loss.item():.4f} ({time.time() - start:.0f}s)")
    with torch.no_grad():
        for e, p in zip(ema, params):
            p.copy_(e)
    return text.eval(), unet.eval()


@torch.no_grad()
def evaluate(args, text, unet, dec, scaling, tokenizer, combos_seen):
    """Sample prompts (all held-out combos + random seen ones), analyse each picture."""
    rng = np.random.RandomState(1234)
    seen = [combos_seen[i] for i in rng.choice(len(combos_seen), size=24, replace=False)]
    cases = [(combo, True) for combo in HELD_OUT] + [(combo, False) for combo in seen]
    per_prompt = args.eval_seeds
    empty = torch.tensor([tokenizer.encode_padded("")] * per_prompt)
    results = {}
    grid = []
    for guidance in (5.0, 1.0):
        tally = {k: [0, 0, 0, 0] for k in ("held-out", "seen")}
        gen = torch.Generator().manual_seed(99)
        for (c, s, b), held in cases:
            ids = torch.tensor([tokenizer.encode_padded(caption(FULL_TEMPLATES[0], c, s, b))] * per_prompt)
            z = sample_latents(unet, text, ids, empty, guidance, 20, gen)
            images = ((dec(z / scaling).clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy()
            if guidance == 5.0 and len(grid) < 16:
                grid.append(np.concatenate(list(images[:4]), axis=1))
            key = "held-out" if held else "seen"
            for img in images:
                got_b, got_c, got_s = analyse(img)
                row = tally[key]
                row[0] += 1
                row[1] += got_b == b
                row[2] += got_c == c
                row[3] += got_s == s
        for key, (n, nb, nc, ns) in tally.items():
            results[f"guidance {guidance:g} {key}"] = dict(images=n, background=nb / n, shape_colour=nc / n, shape=ns / n)
            log(f"eval guidance {guidance:g} {key}: n={n} background {nb / n:.1%} shape colour {nc / n:.1%} shape {ns / n:.1%}")
    return results, np.concatenate(grid, axis=0)


# ---------------------------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------------------------

class ClampedDecoder(nn.Module):
    def __init__(self, dec):
        super().__init__()
        self.dec = dec

    def forward(self, latent_sample):
        return self.dec(latent_sample).clamp(-1, 1)


class TextEncoderWithPooler(nn.Module):
    """Also gives CLIP's pooled output (hidden state at the end token, the highest id)."""

    def __init__(self, text):
        super().__init__()
        self.text = text

    def forward(self, input_ids):
        hidden = self.text(input_ids)
        pooled = hidden[torch.arange(hidden.shape[0]), input_ids.argmax(dim=-1)]
        return hidden, pooled


def export_onnx(model, inputs, path, input_names, output_names, dynamic_axes):
    import onnx
    os.makedirs(os.path.dirname(path), exist_ok=True)
    torch.onnx.export(model, inputs, path, input_names=input_names, output_names=output_names,
                      dynamic_axes=dynamic_axes, opset_version=14, do_constant_folding=True)
    onnx.checker.check_model(onnx.load(path))
    log(f"exported {path} ({os.path.getsize(path) / 1e6:.2f} MB)")


def write_json(path, data):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2)
        f.write("\n")


def export_all(out, text, unet, enc, dec, scaling):
    global TRAIN_WITH_CONVS
    TRAIN_WITH_CONVS = False
    ids = torch.zeros(1, CONTEXT_LENGTH, dtype=torch.long)
    export_onnx(TextEncoderWithPooler(text), (ids,), f"{out}/text_encoder/model.onnx",
                ["input_ids"], ["last_hidden_state", "pooler_output"],
                {"input_ids": {0: "batch"}, "last_hidden_state": {0: "batch"}, "pooler_output": {0: "batch"}})
    export_onnx(unet, (torch.randn(2, 4, 8, 8), torch.tensor([500, 500]), torch.randn(2, CONTEXT_LENGTH, TEXT_DIM)),
                f"{out}/unet/model.onnx", ["sample", "timestep", "encoder_hidden_states"], ["out_sample"],
                {"sample": {0: "batch", 2: "height", 3: "width"}, "timestep": {0: "batch"},
                 "encoder_hidden_states": {0: "batch"}, "out_sample": {0: "batch", 2: "height", 3: "width"}})
    export_onnx(ClampedDecoder(dec), (torch.randn(1, 4, 8, 8),), f"{out}/vae_decoder/model.onnx",
                ["latent_sample"], ["sample"],
                {"latent_sample": {0: "batch", 2: "height", 3: "width"}, "sample": {0: "batch", 2: "height", 3: "width"}})
    export_onnx(enc, (torch.randn(1, 3, 64, 64),), f"{out}/vae_encoder/model.onnx",
                ["sample"], ["latent_sample"],
                {"sample": {0: "batch", 2: "height", 3: "width"}, "latent_sample": {0: "batch", 2: "height", 3: "width"}})

    vae_config = {
        "_class_name": "AutoencoderKL",
        "in_channels": 3,
        "out_channels": 3,
        "latent_channels": LATENT_CHANNELS,
        "sample_size": IMAGE_SIZE,
        "scaling_factor": scaling,
    }
    write_json(f"{out}/vae_decoder/config.json", vae_config)
    write_json(f"{out}/vae_encoder/config.json", vae_config)
    write_json(f"{out}/text_encoder/config.json", {
        "_class_name": "CLIPTextModel", "hidden_size": TEXT_DIM, "max_position_embeddings": CONTEXT_LENGTH,
        "num_hidden_layers": len(text.blocks), "num_attention_heads": text.heads,
        "vocab_size": text.token.num_embeddings})
    write_json(f"{out}/unet/config.json", {
        "_class_name": "UNet2DConditionModel", "in_channels": LATENT_CHANNELS, "out_channels": LATENT_CHANNELS,
        "sample_size": IMAGE_SIZE // DOWNSAMPLE, "cross_attention_dim": TEXT_DIM})
    os.makedirs(f"{out}/scheduler", exist_ok=True)
    write_json(f"{out}/scheduler/scheduler_config.json", {
        "_class_name": "PNDMScheduler",
        "_diffusers_version": "0.6.0",
        "beta_end": 0.012,
        "beta_schedule": "scaled_linear",
        "beta_start": 0.00085,
        "clip_sample": False,
        "num_train_timesteps": TRAIN_STEPS,
        "prediction_type": "epsilon",
        "set_alpha_to_one": False,
        "skip_prk_steps": True,
        "steps_offset": 1,
        "timestep_spacing": "leading",
        "trained_betas": None,
    })
    write_json(f"{out}/model_index.json", {
        "_class_name": "OnnxStableDiffusionPipeline",
        "_diffusers_version": "0.6.0",
        "feature_extractor": [None, None],
        "requires_safety_checker": False,
        "safety_checker": [None, None],
        "scheduler": ["diffusers", "PNDMScheduler"],
        "text_encoder": ["diffusers", "OnnxRuntimeModel"],
        "tokenizer": ["transformers", "CLIPTokenizer"],
        "unet": ["diffusers", "OnnxRuntimeModel"],
        "vae_decoder": ["diffusers", "OnnxRuntimeModel"],
        "vae_encoder": ["diffusers", "OnnxRuntimeModel"],
    })


@torch.no_grad()
def write_reference(path, text, unet, enc, dec, tokenizer):
    """Inputs and PyTorch outputs of each exported graph, for check.mjs to compare ONNX Runtime with."""
    prompt = caption(FULL_TEMPLATES[0], *HELD_OUT[0])
    ids = torch.tensor([tokenizer.encode_padded(prompt)])
    gen = torch.Generator().manual_seed(7)
    sample = torch.randn(1, LATENT_CHANNELS, 8, 8, generator=gen)
    hidden = text(ids)
    eps = unet(sample, torch.tensor([500]), hidden)
    image = dec(sample).clamp(-1, 1)
    latent = enc(image)

    def flat(t):
        return [round(v, 6) for v in t.flatten().tolist()]

    write_json(path, dict(prompt=prompt, input_ids=ids[0].tolist(), last_hidden_state=flat(hidden),
                          unet_sample=flat(sample), unet_timestep=500, out_sample=flat(eps),
                          decoded=flat(image), encoded=flat(latent)))


def write_model_card(out, results, scaling, sizes_mb):
    """README.md of the model folder, with the accuracy this run measured."""
    held = "\n".join(f"- {caption(FULL_TEMPLATES[0], c, s, b)}" for c, s, b in HELD_OUT)
    rows = "\n".join(
        f"| {key} | {r['images']} | {r['background']:.0%} | {r['shape_colour']:.0%} | {r['shape']:.0%} |"
        for key, r in results.items())
    examples = "\n".join(f"  - `{caption(t, 'red', 'circle', 'blue')}`" for t in FULL_TEMPLATES[:5] + [PARTIAL_TEMPLATE])
    text = f"""# Easel Demo (built-in)

A tiny text-to-image model that ships with Easel so the app works before any download. It has
the layout and interfaces of an ONNX Stable Diffusion 1.x pipeline (CLIP-format tokenizer, text
encoder, UNet with cross-attention on 4-channel latents, VAE with 8x down-sampling, SD's noise
schedule), but it is about {sum(sizes_mb.values()):.1f} MB and draws only one thing: **a shape of one
colour on a background of another colour**.

- **Licence:** MIT. Trained from scratch by `tools/demo-model/train.py` on synthetic pictures the
  script draws itself; no third-party data, weights or text were used.
- **Native size:** 64x64 pixels (latents 4x8x8). Other multiples of 8 run (e.g. 128x128) but
  were never trained; expect repeated or odd shapes there.
- **Colours:** {", ".join(COLOURS)}.
- **Shapes:** {", ".join(SHAPES)}. Position and size vary with the seed.
- **Prompts it understands** (lowercase or not; other words are ignored or confuse it):
{examples}
- **Scheduler:** SD 1.5's (PNDM, scaled_linear betas 0.00085-0.012, 1000 train steps, epsilon
  prediction); DDIM, Euler and the other SD schedulers work too. 20-25 steps, guidance about 5.
  Trained with 10% empty captions, so classifier-free guidance works.
- **VAE scaling factor:** {scaling} (in `vae_decoder/config.json` and `vae_encoder/config.json`).

## Held-out combinations
Never drawn during training, to show that the model composes colour, shape and background:
{held}

## Measured accuracy
20-step DDIM, 8 seeds per prompt, all held-out prompts and 24 seen ones, checked by
`analyse()` in `tools/demo-model/train.py`: colours by nearest palette entry (border for the
background, commonest other colour for the shape), shape by how much of its bounding box it
fills (measured on a soft mask, so soft edges count fairly):

| prompts | images | background | shape colour | shape |
|---|---|---|---|---|
{rows}

## Components
| folder | inputs | outputs | size |
|---|---|---|---|
| text_encoder | input_ids int64 [B,77] | last_hidden_state float32 [B,77,{TEXT_DIM}], pooler_output float32 [B,{TEXT_DIM}] | {sizes_mb['text_encoder']:.2f} MB |
| unet | sample float32 [B,4,h,w], timestep int64 [B], encoder_hidden_states float32 [B,77,{TEXT_DIM}] | out_sample float32 [B,4,h,w] | {sizes_mb['unet']:.2f} MB |
| vae_decoder | latent_sample float32 [B,4,h,w] | sample float32 [B,3,8h,8w] in [-1,1] | {sizes_mb['vae_decoder']:.2f} MB |
| vae_encoder | sample float32 [B,3,H,W] | latent_sample float32 [B,4,H/8,W/8] (mean) | {sizes_mb['vae_encoder']:.2f} MB |

ONNX opset 14, fp32, weights inside each file, dynamic batch, height and width.
"""
    with open(os.path.join(out, "README.md"), "w", encoding="utf-8") as f:
        f.write(text)


def save_png(path, image):
    """Minimal PNG writer (zlib + crc), so the script needs nothing beyond numpy and torch."""
    import struct
    import zlib
    h, w, _ = image.shape
    raw = b"".join(b"\x00" + image[y].tobytes() for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


# ---------------------------------------------------------------------------------------------

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="model folder to write (diffusers ONNX layout)")
    p.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "easel-demo-work"),
                   help="checkpoints of finished phases, evaluation grid and numbers")
    p.add_argument("--seed", type=int, default=20240601)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--vae-steps", type=int, default=2000)
    p.add_argument("--vae-batch", type=int, default=48)
    p.add_argument("--vae-latent-noise", type=float, default=0.1)
    p.add_argument("--decoder-steps", type=int, default=3000)
    p.add_argument("--dataset-size", type=int, default=30000)
    p.add_argument("--unet-steps", type=int, default=2500)
    p.add_argument("--unet-batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--eval-seeds", type=int, default=8)
    p.add_argument("--fresh", action="store_true", help="ignore checkpoints in --work")
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.RandomState(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    os.makedirs(args.work, exist_ok=True)
    t_start = time.time()

    held = set(HELD_OUT)
    combos = [c for c in all_combos() if c not in held]
    write_json(os.path.join(HERE, "heldout.json"), {
        "description": "colour-shape-background combinations never drawn during training",
        "combinations": [dict(colour=c, shape=s, background=b, prompt=caption(FULL_TEMPLATES[0], c, s, b))
                         for c, s, b in HELD_OUT]})

    words = caption_words()
    tokenizer = write_tokenizer(os.path.join(args.out, "tokenizer"), words)
    log(f"tokenizer: {len(words)} caption words, vocab {len(tokenizer.vocab)}; {len(combos)} training combinations")

    vae_path = os.path.join(args.work, "vae.pt")
    if os.path.exists(vae_path) and not args.fresh:
        enc, dec = VaeEncoder(), VaeDecoder()
        state = torch.load(vae_path)
        enc.load_state_dict(state["enc"])
        dec.load_state_dict(state["dec"])
        enc.eval(), dec.eval()
        log("autoencoder loaded from checkpoint")
    else:
        enc, dec = train_autoencoder(args, combos, rng)
        torch.save({"enc": enc.state_dict(), "dec": dec.state_dict()}, vae_path)
    t_vae = time.time()

    latents, labels = encode_dataset(args, enc, combos, np.random.RandomState(args.seed + 1))
    # SD convention: the UNet sees latents * scaling_factor, which should have unit variance.
    scaling = float(f"{1.0 / latents.std().item():.5f}")
    latents = latents * scaling
    log(f"latents {tuple(latents.shape)}, scaling factor {scaling}")

    captions = caption_table(tokenizer, combos)
    empty_ids = torch.tensor(tokenizer.encode_padded(""))
    unet_path = os.path.join(args.work, "unet.pt")
    if os.path.exists(unet_path) and not args.fresh:
        text, unet = TextEncoder(len(tokenizer.vocab), TEXT_DIM), UNet(context_dim=TEXT_DIM)
        state = torch.load(unet_path)
        text.load_state_dict(state["text"])
        unet.load_state_dict(state["unet"])
        text.eval(), unet.eval()
        log("diffusion model loaded from checkpoint")
    else:
        text, unet = train_diffusion(args, latents, labels, captions, empty_ids, len(tokenizer.vocab), gen)
        torch.save({"text": text.state_dict(), "unet": unet.state_dict()}, unet_path)
    t_unet = time.time()

    decoder_path = os.path.join(args.work, "decoder.pt")
    if os.path.exists(decoder_path) and not args.fresh:
        dec.load_state_dict(torch.load(decoder_path))
        log("refined decoder loaded from checkpoint")
    else:
        dec = refine_decoder(args, enc, dec, combos, np.random.RandomState(args.seed + 2),
                             torch.Generator().manual_seed(args.seed + 2))
        torch.save(dec.state_dict(), decoder_path)
    t_decoder = time.time()

    results, grid = evaluate(args, text, unet, dec, scaling, tokenizer, combos)
    save_png(os.path.join(args.work, "eval-grid.png"), grid)
    export_all(args.out, text, unet, enc, dec, scaling)
    sizes = {name: os.path.getsize(f"{args.out}/{name}/model.onnx") / 1e6
             for name in ("text_encoder", "unet", "vae_decoder", "vae_encoder")}
    write_model_card(args.out, results, scaling, sizes)
    write_reference(os.path.join(args.work, "reference.json"), text, unet, enc, dec, tokenizer)
    write_json(os.path.join(args.work, "eval.json"), dict(
        results=results, scaling_factor=scaling,
        minutes=dict(autoencoder=(t_vae - t_start) / 60, diffusion=(t_unet - t_vae) / 60,
                     decoder=(t_decoder - t_unet) / 60,
                     total=(time.time() - t_start) / 60)))
    log(f"done in {(time.time() - t_start) / 60:.1f} min")


if __name__ == "__main__":
    main()
