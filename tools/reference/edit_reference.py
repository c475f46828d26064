"""Reference images for Easel's img2img and inpainting, computed the way diffusers v0.25 computes them.

The pipelines' math (StableDiffusionImg2ImgPipeline and StableDiffusionInpaintPipeline of diffusers v0.25:
prepare_latents, _encode_vae_image / retrieve_latents / DiagonalGaussianDistribution.sample,
prepare_mask_latents, get_timesteps, the denoising loop with its 4-channel blending) is written out below
in torch, following those functions line by line. The schedulers are diffusers' own classes, loaded from a
diffusers checkout behind a small stand-in for diffusers' config machinery (they are the only part of
diffusers imported): the version Easel's schedulers follow (../shared/golden: 0.40.0.dev0; v0.25's
multistep solvers end on sigma_min rather than zero). The networks are tiny stand-ins whose math is mirrored exactly by the ONNX
graphs Easel's tests build (test/fixtures/reference-models.ts):

  text encoder  last_hidden_state[b, s, :] = 1 where input_ids[b, s] is <|endoftext|> (49407), else 0
  unet          tanh(conv1x1(sample) + k * cos(0.01 t) + v * mean(encoder_hidden_states))   (4 or 9 channels in)
  vae encoder   conv1x1(avg_pool8(image)) -> [mean | logvar] (optimum's latent_parameters)
  vae decoder   depth_to_space8(tanh(conv1x1(latents)))

Run with Debian's python3 and torch:

    git -C /path/to/diffusers archive HEAD src/diffusers/schedulers | tar -x -C /tmp/diffusers
    /usr/bin/python3 tools/reference/edit_reference.py --schedulers /tmp/diffusers/src/diffusers/schedulers \
        --out test/fixtures/reference/edit-reference.json
"""
import argparse
import base64
import functools
import inspect
import json
import logging
import os
import shutil
import sys
import tempfile

import zlib

import torch

SIZE = 64
EOS = 49407
SEQUENCE = 77
CONTEXT = 768
SCALING = 0.18215

# The scheduler config of the fixture models (SD 1.5's), given to every scheduler as from_config would.
SCHEDULER_CONFIG = {
    'beta_end': 0.012,
    'beta_schedule': 'scaled_linear',
    'beta_start': 0.00085,
    'num_train_timesteps': 1000,
    'trained_betas': None,
    'clip_sample': False,
    'set_alpha_to_one': False,
    'skip_prk_steps': True,
    'steps_offset': 1,
}

SCHEDULERS = {
    'ddim': ('scheduling_ddim', 'DDIMScheduler', {}),
    'pndm': ('scheduling_pndm', 'PNDMScheduler', {}),
    'euler': ('scheduling_euler_discrete', 'EulerDiscreteScheduler', {}),
    'euler-a': ('scheduling_euler_ancestral_discrete', 'EulerAncestralDiscreteScheduler', {}),
    'heun': ('scheduling_heun_discrete', 'HeunDiscreteScheduler', {}),
    'dpmpp-2m': ('scheduling_dpmsolver_multistep', 'DPMSolverMultistepScheduler', {}),
    'dpmpp-2m-karras': ('scheduling_dpmsolver_multistep', 'DPMSolverMultistepScheduler', {'use_karras_sigmas': True}),
    'unipc': ('scheduling_unipc_multistep', 'UniPCMultistepScheduler', {}),
}

SHIM = {
    '__init__.py': '',
    'configuration_utils.py': '''
import functools, inspect

class FrozenDict(dict):
    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError as error:
            raise AttributeError(name) from error

class ConfigMixin:
    config_name = None
    def register_to_config(self, **kwargs):
        config = dict(getattr(self, '_config', {}))
        config.update(kwargs)
        self._config = config
    @property
    def config(self):
        return FrozenDict(self._config)

def register_to_config(init):
    @functools.wraps(init)
    def wrapped(self, *args, **kwargs):
        bound = inspect.signature(init).bind(self, *args, **kwargs)
        bound.apply_defaults()
        values = {k: v for k, v in bound.arguments.items() if k != 'self' and not k.startswith('_')}
        ConfigMixin.register_to_config(self, **values)
        init(self, *args, **kwargs)
    return wrapped
''',
    'utils/__init__.py': '''
import logging as _logging

class BaseOutput:
    pass

class logging:
    get_logger = staticmethod(_logging.getLogger)

def deprecate(*args, **kwargs):
    pass

def is_scipy_available():
    return False
''',
    'utils/torch_utils.py': '''
import torch

def randn_tensor(shape, generator=None, device=None, dtype=None, layout=None):
    # diffusers' randn_tensor with a CPU generator: torch.randn on the CPU, then moved.
    return torch.randn(shape, generator=generator, device='cpu', dtype=dtype, layout=layout or torch.strided)
''',
    'schedulers/__init__.py': '',
    'schedulers/scheduling_utils.py': '''
import dataclasses, enum
import torch

class KarrasDiffusionSchedulers(enum.Enum):
    DDIMScheduler = 1

class SchedulerMixin:
    pass

@dataclasses.dataclass
class SchedulerOutput:
    prev_sample: torch.FloatTensor
''',
}


def load_schedulers(source_dir):
    root = tempfile.mkdtemp(prefix='diffusers-shim-')
    package = os.path.join(root, 'diffusers')
    for relative, text in SHIM.items():
        path = os.path.join(package, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write(text)
    for module, _, _ in SCHEDULERS.values():
        shutil.copy(os.path.join(source_dir, f'{module}.py'), os.path.join(package, 'schedulers', f'{module}.py'))
    sys.path.insert(0, root)
    import importlib

    classes = {}
    for name, (module, class_name, extra) in SCHEDULERS.items():
        cls = getattr(importlib.import_module(f'diffusers.schedulers.{module}'), class_name)
        accepted = inspect.signature(cls.__init__).parameters
        config = {k: v for k, v in {**SCHEDULER_CONFIG, **extra}.items() if k in accepted}
        classes[name] = functools.partial(cls, **config)
    return classes


# ---- the stand-in networks (mirrored by test/fixtures/reference-models.ts) ----

def unet_weights(in_channels):
    w = torch.tensor([[((o * 5 + i * 3) % 7 - 3) / 8 for i in range(in_channels)] for o in range(4)], dtype=torch.float32)
    b = torch.tensor([(o - 1.5) / 10 for o in range(4)], dtype=torch.float32)
    k = torch.tensor([(c + 1) / 10 for c in range(4)], dtype=torch.float32)
    v = torch.tensor([(2 - c) / 2 for c in range(4)], dtype=torch.float32)
    return w, b, k, v


def encoder_weights():
    w = torch.tensor([[((o * 3 + i * 5) % 7 - 3) / (4 if o < 4 else 16) for i in range(3)] for o in range(8)], dtype=torch.float32)
    b = torch.tensor([0.0 if o < 4 else -2.0 for o in range(8)], dtype=torch.float32)
    return w, b


def decoder_weights():
    w = torch.tensor([[((o * 7 + i * 11) % 13 - 6) / 128 for i in range(4)] for o in range(192)], dtype=torch.float32)
    b = torch.tensor([((o * 5) % 9 - 4) / 32 for o in range(192)], dtype=torch.float32)
    return w, b


def conv1x1(x, w, b):
    return torch.nn.functional.conv2d(x, w[:, :, None, None], b)


def text_encoder(ids):
    return (ids == EOS).to(torch.float32)[:, :, None].expand(-1, -1, CONTEXT)


def unet(sample, t, hidden):
    w, b, k, v = unet_weights(sample.shape[1])
    h = conv1x1(sample, w, b)
    h = h + k[None, :, None, None] * torch.cos(torch.tensor(float(t), dtype=torch.float32) * 0.01)
    h = h + v[None, :, None, None] * hidden.mean(dim=(1, 2))[:, None, None, None]
    return torch.tanh(h)


def vae_encode(image):
    w, b = encoder_weights()
    return conv1x1(torch.nn.functional.avg_pool2d(image, 8), w, b)


def vae_decode(latents):
    w, b = decoder_weights()
    return torch.nn.functional.pixel_shuffle(torch.tanh(conv1x1(latents, w, b)), 8)


# ---- diffusers v0.25's pipeline math ----

def retrieve_latents(parameters, generator):
    """DiagonalGaussianDistribution(parameters).sample(generator)."""
    mean, logvar = torch.chunk(parameters, 2, dim=1)
    logvar = torch.clamp(logvar, -30.0, 20.0)
    std = torch.exp(0.5 * logvar)
    sample = torch.randn(mean.shape, generator=generator, dtype=parameters.dtype)
    return mean + std * sample


def encode_vae_image(image, generator):
    return SCALING * retrieve_latents(vae_encode(image), generator)


def get_timesteps(scheduler, steps, strength):
    init_timestep = min(int(steps * strength), steps)
    t_start = max(steps - init_timestep, 0)
    return scheduler.timesteps[t_start * scheduler.order:], steps - t_start


def extra_step_kwargs(scheduler, generator):
    accepted = set(inspect.signature(scheduler.step).parameters.keys())
    kwargs = {}
    if 'eta' in accepted:
        kwargs['eta'] = 0.0
    if 'generator' in accepted:
        kwargs['generator'] = generator
    return kwargs


def prompt_ids(tokens):
    """<|startoftext|>, `tokens` word tokens, then <|endoftext|> padding (SD 1.5 pads with it): only where
    the end-of-text tokens sit matters to the stand-in text encoder."""
    ids = torch.full((1, SEQUENCE), EOS, dtype=torch.int64)
    ids[0, 0] = 49406
    ids[0, 1:1 + tokens] = 1000
    return ids


def guided_noise(latent_model_input, t, hidden, guidance):
    noise_pred = unet(latent_model_input, t, hidden)
    uncond, cond = noise_pred.chunk(2)
    return uncond + guidance * (cond - uncond)


def to_bytes(image):
    """VaeImageProcessor.postprocess to uint8, as RGB interleaved."""
    image = (image / 2 + 0.5).clamp(0, 1)
    return (image[0].permute(1, 2, 0) * 255).round().to(torch.uint8)


def run_img2img(case, image, hidden, make_scheduler):
    generator = torch.Generator().manual_seed(case['seed'])
    scheduler = make_scheduler()
    scheduler.set_timesteps(case['steps'])
    timesteps, _ = get_timesteps(scheduler, case['steps'], case['strength'])
    latent_timestep = timesteps[:1]
    init_latents = encode_vae_image(image, generator)
    noise = torch.randn(init_latents.shape, generator=generator, dtype=torch.float32)
    latents = scheduler.add_noise(init_latents, noise, latent_timestep)
    kwargs = extra_step_kwargs(scheduler, generator)
    for t in timesteps:
        latent_model_input = scheduler.scale_model_input(torch.cat([latents] * 2), t)
        noise_pred = guided_noise(latent_model_input, t, hidden, case['guidance'])
        latents = scheduler.step(noise_pred, t, latents, **kwargs, return_dict=False)[0]
    return to_bytes(vae_decode(latents / SCALING)), [float(t) for t in timesteps]


def run_inpaint(case, image, mask, hidden, make_scheduler, in_channels):
    generator = torch.Generator().manual_seed(case['seed'])
    scheduler = make_scheduler()
    scheduler.set_timesteps(case['steps'])
    timesteps, _ = get_timesteps(scheduler, case['steps'], case['strength'])
    latent_timestep = timesteps[:1]
    is_strength_max = case['strength'] == 1.0
    shape = (1, 4, SIZE // 8, SIZE // 8)

    # prepare_latents
    image_latents = None
    if in_channels == 4 or not is_strength_max:
        image_latents = encode_vae_image(image, generator)
    noise = torch.randn(shape, generator=generator, dtype=torch.float32)
    latents = noise if is_strength_max else scheduler.add_noise(image_latents, noise, latent_timestep)
    latents = latents * scheduler.init_noise_sigma if is_strength_max else latents

    # prepare_mask_latents (the masked image is encoded, and drawn for, whatever the UNet)
    masked_image = image * (mask < 0.5)
    latent_mask = torch.nn.functional.interpolate(mask, size=(SIZE // 8, SIZE // 8))
    masked_image_latents = encode_vae_image(masked_image, generator)
    mask_rows = torch.cat([latent_mask] * 2)
    masked_rows = torch.cat([masked_image_latents] * 2)

    kwargs = extra_step_kwargs(scheduler, generator)
    for i, t in enumerate(timesteps):
        latent_model_input = scheduler.scale_model_input(torch.cat([latents] * 2), t)
        if in_channels == 9:
            latent_model_input = torch.cat([latent_model_input, mask_rows, masked_rows], dim=1)
        noise_pred = guided_noise(latent_model_input, t, hidden, case['guidance'])
        latents = scheduler.step(noise_pred, t, latents, **kwargs, return_dict=False)[0]
        if in_channels == 4:
            init_latents_proper = image_latents
            if i < len(timesteps) - 1:
                init_latents_proper = scheduler.add_noise(init_latents_proper, noise, torch.tensor([timesteps[i + 1]]))
            latents = (1 - latent_mask) * init_latents_proper + latent_mask * latents
    decoded = to_bytes(vae_decode(latents / SCALING))
    # Easel's final paste with a mask blur of 0: the original's pixels wherever the mask keeps them.
    original = to_bytes(image)
    keep = (mask[0, 0] < 0.5)[:, :, None]
    return torch.where(keep, original, decoded), [float(t) for t in timesteps]


def test_image():
    """A smooth colour pattern with some detail, in [0, 255] bytes (H, W, 3)."""
    y, x = torch.meshgrid(torch.arange(SIZE), torch.arange(SIZE), indexing='ij')
    r = (x * 4 + 10) % 256
    g = (y * 3 + (x // 8) * 7) % 256
    b = ((x + y) * 2 + 40) % 256
    return torch.stack([r, g, b], dim=-1).to(torch.uint8)


def test_mask():
    """White (repaint) on a rectangle and a diagonal band; 0..255 bytes (H, W), with values around 127/128."""
    y, x = torch.meshgrid(torch.arange(SIZE), torch.arange(SIZE), indexing='ij')
    mask = torch.zeros(SIZE, SIZE, dtype=torch.int64)
    mask[(x >= 20) & (x < 44) & (y >= 12) & (y < 36)] = 255
    mask[(x - y).abs() < 3] = 200
    mask[(x >= 50) & (y >= 50)] = 127  # below 0.5: kept
    mask[(x >= 50) & (y < 8)] = 128  # at or above 0.5: repainted
    return mask.to(torch.uint8)


# Two pixels of every 8x8 block (its rows 1 and 5, columns 2 and 6): six bytes that depend on all four
# latents of the block, so the file stays small and still pins every latent down.
SAMPLED_ROWS = torch.tensor([by * 8 + dy for by in range(SIZE // 8) for bx in range(SIZE // 8) for dy, dx in [(1, 2), (5, 6)]])
SAMPLED_COLUMNS = torch.tensor([bx * 8 + dx for by in range(SIZE // 8) for bx in range(SIZE // 8) for dy, dx in [(1, 2), (5, 6)]])


def packed(tensor):
    """Raw bytes (RGB interleaved or grey), zlib-compressed, base64."""
    return base64.b64encode(zlib.compress(tensor.contiguous().numpy().tobytes(), 9)).decode()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--schedulers', required=True, help="a diffusers checkout's src/diffusers/schedulers folder")
    parser.add_argument('--version', default='0.40.0.dev0', help='the diffusers version of --schedulers, for the record')
    parser.add_argument('--out', required=True)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    schedulers = load_schedulers(args.schedulers)

    image_bytes = test_image()
    mask_bytes = test_mask()
    image = (image_bytes.permute(2, 0, 1)[None].to(torch.float32) / 127.5 - 1.0)
    mask = (mask_bytes.to(torch.float32) / 255.0)[None, None]
    mask = torch.where(mask < 0.5, torch.zeros_like(mask), torch.ones_like(mask))
    hidden = torch.cat([text_encoder(prompt_ids(0)), text_encoder(prompt_ids(1))])

    base = {'prompt': 'cat', 'negativePrompt': '', 'guidance': 7.5, 'seed': 1234, 'steps': 10}
    # 10 * 0.75 = 7.5 steps: diffusers truncates to 7. Every scheduler's start for img2img; for inpainting
    # both starts (pure noise at strength 1, noised image latents below) across deterministic, ancestral,
    # multistep and second-order schedulers.
    cases = [{**base, 'kind': 'img2img', 'scheduler': name, 'strength': 0.75} for name in SCHEDULERS]
    for kind, runs in [
        ('inpaint-9', [('ddim', 1.0), ('pndm', 0.6), ('euler-a', 0.6), ('heun', 1.0)]),
        ('inpaint-4', [('euler', 1.0), ('euler-a', 0.7), ('pndm', 0.7), ('unipc', 1.0), ('dpmpp-2m-karras', 0.7)]),
    ]:
        cases += [{**base, 'kind': kind, 'scheduler': name, 'strength': strength} for name, strength in runs]

    for case in cases:
        make = schedulers[case['scheduler']]
        if case['kind'] == 'img2img':
            result, timesteps = run_img2img(case, image, hidden, make)
        else:
            result, timesteps = run_inpaint(case, image, mask, hidden, make, 9 if case['kind'] == 'inpaint-9' else 4)
        case['timesteps'] = timesteps
        case['expected'] = packed(result[SAMPLED_ROWS, SAMPLED_COLUMNS])

    out = {
        'generator': f'tools/reference/edit_reference.py, v0.25 pipeline math, diffusers {args.version} schedulers, torch {torch.__version__}',
        'sampled': 'expected: RGB bytes of pixels (8 by + 1, 8 bx + 2) and (8 by + 5, 8 bx + 6) for each block row by, column bx',
        'width': SIZE,
        'height': SIZE,
        'image': packed(image_bytes),
        'mask': packed(mask_bytes),
        'cases': cases,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, 'w') as f:
        json.dump(out, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
