#!/usr/bin/python3
"""Reference data for Easel's checkpoint converter.

Writes test/fixtures/checkpoints/tiny-<family>.json: the tensor list of a tiny single-file checkpoint in
the original (LDM/CompVis) layout, inputs, and the outputs of the networks computed here by PyTorch modules
written after the original LDM code (CompVis openaimodel/attention/model, Hugging Face CLIP, OpenCLIP) —
an implementation independent of Easel's ONNX graphs and of its LDM -> diffusers key mapping.

Weights are not stored: every tensor is `offset + scale * u` with u drawn from mulberry32 seeded by the
FNV-1a hash of the tensor's name, which the test fixtures reproduce bit for bit in TypeScript
(test/fixtures/checkpoints.ts) to write the .safetensors file itself.

Run with Debian's Python and torch:  /usr/bin/python3 tools/checkpoints/make-tiny.py [sd1 sd2 sdxl]
`make-tiny.py sd15-shapes` writes the tensor list of a full-size SD 1.5 checkpoint for `npm run bench:convert`.
"""
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'checkpoints')


# ---- deterministic weights, shared with the TypeScript fixture writer ---------------------------------

def fnv1a(text):
    value = 2166136261
    for ch in text:
        value = ((value ^ ord(ch)) * 16777619) & 0xFFFFFFFF
    return value


def mulberry32(seed, count):
    states = ((np.uint64(seed) + np.arange(1, count + 1, dtype=np.uint64) * np.uint64(0x6D2B79F5)) & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    t = states
    t = (t ^ (t >> np.uint32(15))) * (t | np.uint32(1))
    t = t ^ (t + (t ^ (t >> np.uint32(7))) * (t | np.uint32(61)))
    return (t ^ (t >> np.uint32(14))).astype(np.float64) / 2.0 ** 31 - 1.0


def fill(model, prefix=''):
    """Overwrites every parameter with the shared deterministic values; returns the tensor list."""
    entries = []
    for name, param in model.named_parameters():
        key = prefix + name
        shape = list(param.shape)
        count = int(np.prod(shape)) if shape else 1
        if name.endswith('bias'):
            offset, scale = 0.0, 0.1
        elif 'norm' in name or name.split('.')[-2:-1] in (['ln_1'], ['ln_2'], ['ln_final']) or '.in_layers.0.' in name or '.out_layers.0.' in name or name.startswith('out.0') or 'layer_norm' in name:
            offset, scale = 1.0, 0.1
        elif 'embedding' in name:
            offset, scale = 0.0, 0.5
        else:
            fan_in = count // shape[0] if len(shape) > 1 else count
            if name.endswith('text_projection'):
                fan_in = shape[0]
            offset, scale = 0.0, 1.0 / math.sqrt(fan_in)
        values = offset + scale * mulberry32(fnv1a(key), count)
        with torch.no_grad():
            param.copy_(torch.from_numpy(values.astype(np.float32)).reshape(shape))
        entries.append({'name': key, 'shape': shape, 'offset': offset, 'scale': scale})
    return entries


# ---- UNet in the CompVis layout ---------------------------------------------------------------------------

def timestep_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float32) / half)
    args = t[:, None].float() * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class ResBlock(nn.Module):
    def __init__(self, channels, emb_channels, out_channels):
        super().__init__()
        self.in_layers = nn.Sequential(nn.GroupNorm(32, channels), nn.SiLU(), nn.Conv2d(channels, out_channels, 3, padding=1))
        self.emb_layers = nn.Sequential(nn.SiLU(), nn.Linear(emb_channels, out_channels))
        self.out_layers = nn.Sequential(nn.GroupNorm(32, out_channels), nn.SiLU(), nn.Dropout(0), nn.Conv2d(out_channels, out_channels, 3, padding=1))
        self.skip_connection = nn.Identity() if channels == out_channels else nn.Conv2d(channels, out_channels, 1)

    def forward(self, x, emb, context):
        h = self.in_layers(x)
        h = h + self.emb_layers(emb)[:, :, None, None]
        return self.skip_connection(x) + self.out_layers(h)


class CrossAttention(nn.Module):
    def __init__(self, query_dim, context_dim, heads, dim_head):
        super().__init__()
        inner = heads * dim_head
        self.heads = heads
        self.to_q = nn.Linear(query_dim, inner, bias=False)
        self.to_k = nn.Linear(context_dim, inner, bias=False)
        self.to_v = nn.Linear(context_dim, inner, bias=False)
        self.to_out = nn.Sequential(nn.Linear(inner, query_dim), nn.Dropout(0))

    def forward(self, x, context):
        b, n, _ = x.shape
        q, k, v = self.to_q(x), self.to_k(context), self.to_v(context)
        split = lambda t: t.reshape(b, t.shape[1], self.heads, -1).permute(0, 2, 1, 3)
        q, k, v = split(q), split(k), split(v)
        weights = torch.softmax(q @ k.transpose(-1, -2) * q.shape[-1] ** -0.5, dim=-1)
        return self.to_out((weights @ v).permute(0, 2, 1, 3).reshape(b, n, -1))


class GEGLU(nn.Module):
    def __init__(self, dim_in, dim_out):
        super().__init__()
        self.proj = nn.Linear(dim_in, dim_out * 2)

    def forward(self, x):
        x, gate = self.proj(x).chunk(2, dim=-1)
        return x * F.gelu(gate)


class BasicTransformerBlock(nn.Module):
    def __init__(self, dim, heads, dim_head, context_dim):
        super().__init__()
        self.attn1 = CrossAttention(dim, dim, heads, dim_head)
        self.ff = nn.Module()
        self.ff.net = nn.Sequential(GEGLU(dim, dim * 4), nn.Dropout(0), nn.Linear(dim * 4, dim))
        self.attn2 = CrossAttention(dim, context_dim, heads, dim_head)
        self.norm1, self.norm2, self.norm3 = nn.LayerNorm(dim), nn.LayerNorm(dim), nn.LayerNorm(dim)

    def forward(self, x, context):
        x = self.attn1(self.norm1(x), self.norm1(x)) + x
        x = self.attn2(self.norm2(x), context) + x
        return self.ff.net(self.norm3(x)) + x


class SpatialTransformer(nn.Module):
    def __init__(self, channels, heads, dim_head, depth, context_dim, use_linear):
        super().__init__()
        self.use_linear = use_linear
        self.norm = nn.GroupNorm(32, channels, eps=1e-6)
        self.proj_in = nn.Linear(channels, channels) if use_linear else nn.Conv2d(channels, channels, 1)
        self.transformer_blocks = nn.ModuleList([BasicTransformerBlock(channels, heads, dim_head, context_dim) for _ in range(depth)])
        self.proj_out = nn.Linear(channels, channels) if use_linear else nn.Conv2d(channels, channels, 1)

    def forward(self, x, emb, context):
        b, c, h, w = x.shape
        x_in = x
        x = self.norm(x)
        if not self.use_linear:
            x = self.proj_in(x)
        x = x.reshape(b, c, h * w).permute(0, 2, 1)
        if self.use_linear:
            x = self.proj_in(x)
        for block in self.transformer_blocks:
            x = block(x, context)
        if self.use_linear:
            x = self.proj_out(x)
        x = x.permute(0, 2, 1).reshape(b, c, h, w)
        if not self.use_linear:
            x = self.proj_out(x)
        return x + x_in


class Downsample(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.op = nn.Conv2d(channels, channels, 3, stride=2, padding=1)

    def forward(self, x, emb, context):
        return self.op(x)


class Upsample(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x, emb, context):
        return self.conv(F.interpolate(x, scale_factor=2, mode='nearest'))


class Sequential(nn.ModuleList):
    def forward(self, x, emb, context):
        for layer in self:
            x = layer(x, emb, context)
        return x


class UNetModel(nn.Module):
    def __init__(self, in_channels, model_channels, mults, num_res_blocks, attention_levels, depths, context_dim, heads_of, use_linear, adm_in=None):
        super().__init__()
        mc = model_channels
        ted = mc * 4
        self.mc = mc
        self.time_embed = nn.Sequential(nn.Linear(mc, ted), nn.SiLU(), nn.Linear(ted, ted))
        if adm_in is not None:
            self.label_emb = nn.Sequential(nn.Sequential(nn.Linear(adm_in, ted), nn.SiLU(), nn.Linear(ted, ted)))
        attention = lambda ch, level: SpatialTransformer(ch, heads_of(ch), ch // heads_of(ch), depths[level], context_dim, use_linear)
        self.input_blocks = nn.ModuleList([Sequential([nn.Conv2d(in_channels, mc, 3, padding=1)])])
        self.input_blocks[0].forward = lambda x, emb, context, conv=self.input_blocks[0][0]: conv(x)
        chans = [mc]
        ch = mc
        for level, mult in enumerate(mults):
            for _ in range(num_res_blocks):
                layers = [ResBlock(ch, ted, mult * mc)]
                ch = mult * mc
                if level in attention_levels:
                    layers.append(attention(ch, level))
                self.input_blocks.append(Sequential(layers))
                chans.append(ch)
            if level != len(mults) - 1:
                self.input_blocks.append(Sequential([Downsample(ch)]))
                chans.append(ch)
        self.middle_block = Sequential([ResBlock(ch, ted, ch), attention(ch, len(mults) - 1), ResBlock(ch, ted, ch)])
        self.output_blocks = nn.ModuleList()
        for level, mult in list(enumerate(mults))[::-1]:
            for i in range(num_res_blocks + 1):
                layers = [ResBlock(ch + chans.pop(), ted, mc * mult)]
                ch = mc * mult
                if level in attention_levels:
                    layers.append(attention(ch, level))
                if level and i == num_res_blocks:
                    layers.append(Upsample(ch))
                self.output_blocks.append(Sequential(layers))
        self.out = nn.Sequential(nn.GroupNorm(32, ch), nn.SiLU(), nn.Conv2d(mc, 4, 3, padding=1))

    def forward(self, x, t, context, y=None):
        emb = self.time_embed(timestep_embedding(t, self.mc))
        if y is not None:
            emb = emb + self.label_emb(y)
        hs = []
        h = x
        for module in self.input_blocks:
            h = module(h, emb, context)
            hs.append(h)
        h = self.middle_block(h, emb, context)
        for module in self.output_blocks:
            h = module(torch.cat([h, hs.pop()], dim=1), emb, context)
        return self.out(h)


# ---- text encoders -------------------------------------------------------------------------------------

def causal_mask(n):
    return torch.full((n, n), float('-inf')).triu(1)


class HFAttention(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(width, width) for _ in range(4))

    def forward(self, x):
        b, n, w = x.shape
        split = lambda t: t.reshape(b, n, self.heads, -1).transpose(1, 2)
        q, k, v = split(self.q_proj(x) * (w // self.heads) ** -0.5), split(self.k_proj(x)), split(self.v_proj(x))
        weights = torch.softmax(q @ k.transpose(-1, -2) + causal_mask(n), dim=-1)
        return self.out_proj((weights @ v).transpose(1, 2).reshape(b, n, w))


class HFLayer(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.self_attn = HFAttention(width, heads)
        self.layer_norm1 = nn.LayerNorm(width)
        self.mlp = nn.Module()
        self.mlp.fc1, self.mlp.fc2 = nn.Linear(width, width * 4), nn.Linear(width * 4, width)
        self.layer_norm2 = nn.LayerNorm(width)

    def forward(self, x):
        x = x + self.self_attn(self.layer_norm1(x))
        h = self.mlp.fc1(self.layer_norm2(x))
        return x + self.mlp.fc2(h * torch.sigmoid(1.702 * h))


class HFCLIPText(nn.Module):
    """transformers' CLIPTextModel, parameter names included (OpenAI CLIP: quick GELU)."""

    def __init__(self, width, layers, vocab=49408, positions=77):
        super().__init__()
        self.text_model = nn.Module()
        tm = self.text_model
        tm.embeddings = nn.Module()
        tm.embeddings.token_embedding = nn.Embedding(vocab, width)
        tm.embeddings.position_embedding = nn.Embedding(positions, width)
        tm.encoder = nn.Module()
        tm.encoder.layers = nn.ModuleList([HFLayer(width, max(1, width // 64)) for _ in range(layers)])
        tm.final_layer_norm = nn.LayerNorm(width)

    def forward(self, ids):
        tm = self.text_model
        x = tm.embeddings.token_embedding(ids) + tm.embeddings.position_embedding.weight[: ids.shape[1]]
        hidden = [x]
        for layer in tm.encoder.layers:
            x = layer(x)
            hidden.append(x)
        last = tm.final_layer_norm(x)
        pooled = last[torch.arange(ids.shape[0]), ids.argmax(dim=-1)]
        return last, pooled, hidden


class OpenCLIPBlock(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width)
        self.attn = nn.MultiheadAttention(width, heads, batch_first=True)
        self.ln_2 = nn.LayerNorm(width)
        self.mlp = nn.Module()
        self.mlp.c_fc, self.mlp.c_proj = nn.Linear(width, width * 4), nn.Linear(width * 4, width)

    def forward(self, x):
        h = self.ln_1(x)
        x = x + self.attn(h, h, h, need_weights=False, attn_mask=causal_mask(x.shape[1]))[0]
        return x + self.mlp.c_proj(F.gelu(self.mlp.c_fc(self.ln_2(x))))


class OpenCLIPText(nn.Module):
    """open_clip's text tower (fused in_proj attention), as FrozenOpenCLIPEmbedder holds it."""

    def __init__(self, width, layers, projection, vocab=49408, positions=77):
        super().__init__()
        self.token_embedding = nn.Embedding(vocab, width)
        self.positional_embedding = nn.Parameter(torch.zeros(positions, width))
        self.transformer = nn.Module()
        self.transformer.resblocks = nn.ModuleList([OpenCLIPBlock(width, max(1, width // 64)) for _ in range(layers)])
        self.ln_final = nn.LayerNorm(width)
        self.text_projection = nn.Parameter(torch.zeros(width, projection))

    def forward(self, ids):
        x = self.token_embedding(ids) + self.positional_embedding[: ids.shape[1]]
        hidden = [x]
        for block in self.transformer.resblocks:
            x = block(x)
            hidden.append(x)
        return hidden


# ---- VAE in the CompVis layout ---------------------------------------------------------------------------

def vae_norm(channels):
    return nn.GroupNorm(32, channels, eps=1e-6)


class VaeResnet(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.norm1, self.conv1 = vae_norm(cin), nn.Conv2d(cin, cout, 3, padding=1)
        self.norm2, self.conv2 = vae_norm(cout), nn.Conv2d(cout, cout, 3, padding=1)
        if cin != cout:
            self.nin_shortcut = nn.Conv2d(cin, cout, 1)

    def forward(self, x):
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(F.silu(self.norm2(h)))
        return (self.nin_shortcut(x) if hasattr(self, 'nin_shortcut') else x) + h


class AttnBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.norm = vae_norm(c)
        self.q, self.k, self.v, self.proj_out = (nn.Conv2d(c, c, 1) for _ in range(4))

    def forward(self, x):
        h = self.norm(x)
        b, c, hh, ww = x.shape
        q = self.q(h).reshape(b, c, -1).permute(0, 2, 1)
        k = self.k(h).reshape(b, c, -1)
        weights = torch.softmax(torch.bmm(q, k) * c ** -0.5, dim=2)
        v = self.v(h).reshape(b, c, -1)
        out = torch.bmm(v, weights.permute(0, 2, 1)).reshape(b, c, hh, ww)
        return x + self.proj_out(out)


class Mid(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.block_1, self.attn_1, self.block_2 = VaeResnet(c, c), AttnBlock(c), VaeResnet(c, c)

    def forward(self, x):
        return self.block_2(self.attn_1(self.block_1(x)))


class Encoder(nn.Module):
    def __init__(self, ch, mults, blocks, z):
        super().__init__()
        self.conv_in = nn.Conv2d(3, ch, 3, padding=1)
        self.down = nn.ModuleList()
        cin = ch
        for level, mult in enumerate(mults):
            down = nn.Module()
            down.block = nn.ModuleList()
            for _ in range(blocks):
                down.block.append(VaeResnet(cin, ch * mult))
                cin = ch * mult
            if level != len(mults) - 1:
                down.downsample = nn.Module()
                down.downsample.conv = nn.Conv2d(cin, cin, 3, stride=2)
            self.down.append(down)
        self.mid = Mid(cin)
        self.norm_out = vae_norm(cin)
        self.conv_out = nn.Conv2d(cin, 2 * z, 3, padding=1)

    def forward(self, x):
        h = self.conv_in(x)
        for down in self.down:
            for block in down.block:
                h = block(h)
            if hasattr(down, 'downsample'):
                h = down.downsample.conv(F.pad(h, (0, 1, 0, 1)))
        h = self.mid(h)
        return self.conv_out(F.silu(self.norm_out(h)))


class Decoder(nn.Module):
    def __init__(self, ch, mults, blocks, z):
        super().__init__()
        cin = ch * mults[-1]
        self.conv_in = nn.Conv2d(z, cin, 3, padding=1)
        self.mid = Mid(cin)
        self.up = nn.ModuleList()
        for level in reversed(range(len(mults))):
            up = nn.Module()
            up.block = nn.ModuleList()
            for _ in range(blocks + 1):
                up.block.append(VaeResnet(cin, ch * mults[level]))
                cin = ch * mults[level]
            if level != 0:
                up.upsample = nn.Module()
                up.upsample.conv = nn.Conv2d(cin, cin, 3, padding=1)
            self.up.insert(0, up)
        self.norm_out = vae_norm(cin)
        self.conv_out = nn.Conv2d(cin, 3, 3, padding=1)

    def forward(self, z):
        h = self.mid(self.conv_in(z))
        for up in reversed(self.up):
            for block in up.block:
                h = block(h)
            if hasattr(up, 'upsample'):
                h = up.upsample.conv(F.interpolate(h, scale_factor=2, mode='nearest'))
        return self.conv_out(F.silu(self.norm_out(h)))


class AutoencoderKL(nn.Module):
    def __init__(self, ch=32, mults=(1, 1, 2, 2), blocks=1, z=4):
        super().__init__()
        self.encoder = Encoder(ch, mults, blocks, z)
        self.decoder = Decoder(ch, mults, blocks, z)
        self.quant_conv = nn.Conv2d(2 * z, 2 * z, 1)
        self.post_quant_conv = nn.Conv2d(z, z, 1)


# ---- the fixtures ---------------------------------------------------------------------------------------

def flat(tensor):
    return [float('%.7g' % v) for v in tensor.detach().reshape(-1).tolist()]


def prompt_ids(batch, pad):
    rows = []
    for b in range(batch):
        body = [320 + 17 * b + 3 * i for i in range(5 + 4 * b)]
        row = [49406] + body + [49407]
        rows.append(row + [pad] * (77 - len(row)))
    return torch.tensor(rows)


def make(family):
    torch.manual_seed({'sd1': 1, 'sd2': 2, 'sdxl': 3}[family])
    tensors = []
    outputs = {}
    inputs = {}
    width = 128
    if family == 'sd1':
        text = HFCLIPText(width, 2)
        tensors += fill(text, 'cond_stage_model.transformer.')
        ids = prompt_ids(2, 49407)
        last, pooled, _ = text(ids)
        outputs['text_encoder'] = {'last_hidden_state': flat(last), 'pooler_output': flat(pooled)}
        inputs['text_encoder'] = {'input_ids': ids.reshape(-1).tolist(), 'dims': list(ids.shape)}
        context_dim = width
        unet = UNetModel(4, 32, (1, 2), 1, {0}, [1, 1], context_dim, lambda ch: 8, False)
    elif family == 'sd2':
        text = OpenCLIPText(width, 3, width)
        tensors += fill(text, 'cond_stage_model.model.')
        ids = prompt_ids(2, 0)
        hidden = text(ids)
        # SD 2.x conditions on the penultimate layer, through ln_final.
        last = text.ln_final(hidden[-2])
        outputs['text_encoder'] = {'last_hidden_state': flat(last)}
        inputs['text_encoder'] = {'input_ids': ids.reshape(-1).tolist(), 'dims': list(ids.shape)}
        context_dim = width
        unet = UNetModel(4, 64, (1, 2), 1, {0, 1}, [1, 1], context_dim, lambda ch: max(1, ch // 64), True)
    else:
        text1 = HFCLIPText(64, 2)
        text2 = OpenCLIPText(width, 3, 96)
        tensors += fill(text1, 'conditioner.embedders.0.transformer.')
        tensors += fill(text2, 'conditioner.embedders.1.model.')
        ids1, ids2 = prompt_ids(2, 49407), prompt_ids(2, 0)
        _, _, hidden1 = text1(ids1)
        hidden2 = text2(ids2)
        last2 = text2.ln_final(hidden2[-1])
        pooled = last2[torch.arange(2), ids2.argmax(dim=-1)] @ text2.text_projection
        outputs['text_encoder'] = {'hidden_states.1': flat(hidden1[-2])}
        outputs['text_encoder_2'] = {'hidden_states.2': flat(hidden2[-2]), 'text_embeds': flat(pooled)}
        inputs['text_encoder'] = {'input_ids': ids1.reshape(-1).tolist(), 'dims': list(ids1.shape)}
        inputs['text_encoder_2'] = {'input_ids': ids2.reshape(-1).tolist(), 'dims': list(ids2.shape)}
        context_dim = 64 + width
        time_dim = 16
        unet = UNetModel(4, 64, (1, 2), 1, {1}, [1, 2], context_dim, lambda ch: max(1, ch // 64), True, adm_in=96 + 6 * time_dim)
    tensors += fill(unet, 'model.diffusion_model.')
    vae = AutoencoderKL()
    tensors += fill(vae, 'first_stage_model.')

    sample = torch.randn(2, 4, 16, 16)
    timestep = torch.tensor([999.0, 10.0])
    context = torch.randn(2, 8, context_dim)
    unet_inputs = {'sample': flat(sample), 'timestep': flat(timestep), 'encoder_hidden_states': flat(context), 'sequence': 8}
    y = None
    if family == 'sdxl':
        text_embeds = torch.randn(2, 96)
        time_ids = torch.tensor([[64.0, 64.0, 0.0, 0.0, 64.0, 64.0], [32.0, 48.0, 8.0, 0.0, 64.0, 64.0]])
        emb = timestep_embedding(time_ids.reshape(-1), time_dim).reshape(2, -1)
        y = torch.cat([text_embeds, emb], dim=-1)
        unet_inputs.update({'text_embeds': flat(text_embeds), 'time_ids': flat(time_ids)})
    inputs['unet'] = unet_inputs
    outputs['unet'] = {'out_sample': flat(unet(sample, timestep, context, y))}

    latent = torch.randn(1, 4, 4, 4)
    image = torch.rand(1, 3, 32, 32) * 2 - 1
    inputs['vae_decoder'] = {'latent_sample': flat(latent)}
    inputs['vae_encoder'] = {'sample': flat(image)}
    outputs['vae_decoder'] = {'sample': flat(vae.decoder(vae.post_quant_conv(latent)))}
    outputs['vae_encoder'] = {'latent_parameters': flat(vae.quant_conv(vae.encoder(image)))}

    os.makedirs(OUT, exist_ok=True)
    target = os.path.join(OUT, 'tiny-%s.json' % family)
    with open(target, 'w') as handle:
        json.dump({'family': family, 'tensors': tensors, 'inputs': inputs, 'outputs': outputs}, handle, separators=(',', ':'))
        handle.write('\n')
    print('%s: %d tensors, %d bytes' % (target, len(tensors), os.path.getsize(target)))


def sd15_shapes():
    """The tensor list of a full-size SD 1.5 checkpoint, for the conversion benchmark (weights made there)."""
    tensors = []
    for prefix, build in [
        ('cond_stage_model.transformer.', lambda: HFCLIPText(768, 12)),
        ('model.diffusion_model.', lambda: UNetModel(4, 320, (1, 2, 4, 4), 2, {0, 1, 2}, [1, 1, 1, 1], 768, lambda ch: 8, False)),
        ('first_stage_model.', lambda: AutoencoderKL(128, (1, 2, 4, 4), 2)),
    ]:
        module = build()
        for name, param in module.named_parameters():
            tensors.append({'name': prefix + name, 'shape': list(param.shape), 'offset': 0.0, 'scale': 0.02})
        del module
    target = os.path.join(OUT, 'sd15-shapes.json')
    with open(target, 'w') as handle:
        json.dump({'family': 'sd1', 'tensors': tensors}, handle, separators=(',', ':'))
        handle.write('\n')
    print('%s: %d tensors' % (target, len(tensors)))


if __name__ == '__main__':
    with torch.no_grad():
        if sys.argv[1:] == ['sd15-shapes']:
            sd15_shapes()
        else:
            for family in sys.argv[1:] or ['sd1', 'sd2', 'sdxl']:
                make(family)
