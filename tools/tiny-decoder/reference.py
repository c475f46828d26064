"""Reference output of a TAESD-architecture decoder, for Easel's tiny-decoder test.

Implements diffusers' DecoderTiny forward (autoencoders/vae.py) in plain torch, loads the weights that
write-fixture.ts read back from the ONNX fixture, by their state-dict names, decodes a seeded random
latent and writes the input and output as JSON:

    npx tsx tools/tiny-decoder/write-fixture.ts /tmp/tiny-decoder
    /usr/bin/python3 tools/tiny-decoder/reference.py /tmp/tiny-decoder test/fixtures/reference/tiny-decoder.json

Needs Debian's python3-torch only.
"""
import json
import sys

import torch
from torch import nn


class Block(nn.Module):
    """AutoencoderTinyBlock with equal in/out channels (the skip is the identity)."""

    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(channels, channels, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(channels, channels, 3, padding=1),
        )
        self.fuse = nn.ReLU()

    def forward(self, x):
        return self.fuse(self.conv(x) + x)


class Decoder(nn.Module):
    def __init__(self, channels, blocks):
        super().__init__()
        layers = [nn.Conv2d(4, channels, 3, padding=1), nn.ReLU()]
        for stage, count in enumerate(blocks):
            last = stage == len(blocks) - 1
            layers.extend(Block(channels) for _ in range(count))
            if not last:
                layers.append(nn.Upsample(scale_factor=2, mode="nearest"))
            layers.append(nn.Conv2d(channels, 3 if last else channels, 3, padding=1, bias=last))
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        x = torch.tanh(x / 3) * 3
        return self.layers(x).mul(2).sub(1)


def main(fixture_dir, out_path):
    with open(f"{fixture_dir}/spec.json") as f:
        spec = json.load(f)
    with open(f"{fixture_dir}/weights.json") as f:
        weights = json.load(f)
    decoder = Decoder(spec["channels"], spec["blocks"])
    state = {
        name: torch.tensor(weights[name]["values"], dtype=torch.float32).reshape(weights[name]["dims"])
        for name in decoder.state_dict()
    }
    if set(state) != set(weights):
        raise SystemExit(f"weights do not match DecoderTiny's state dict: {sorted(set(weights) ^ set(state))}")
    decoder.load_state_dict(state)
    generator = torch.Generator().manual_seed(0)
    latent = torch.randn(1, 4, 5, 6, generator=generator) * 3
    with torch.no_grad():
        image = decoder(latent)
    result = {
        "spec": spec,
        "source": "tools/tiny-decoder/reference.py (DecoderTiny forward in torch)",
        "torch": torch.__version__,
        "input": {"dims": list(latent.shape), "values": [round(v, 7) for v in latent.flatten().tolist()]},
        "output": {"dims": list(image.shape), "values": [float(f"{v:.7g}") for v in image.flatten().tolist()]},
    }
    with open(out_path, "w") as f:
        json.dump(result, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {out_path}: output {list(image.shape)}, range {image.min().item():.3f}..{image.max().item():.3f}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
