"""Before any GPU time: training tokens, GPU-hours, peak memory and cost of a fine-tuning run.

Compute follows the standard dense-transformer count (Kaplan et al. 2020, "Scaling Laws for
Neural Language Models", C = 6·N·T): a forward and backward pass cost about 6 FLOPs per
parameter per token. DPO and KTO add a frozen reference model's forward pass (2·N·T). Time is
``FLOPs / (peak BF16 FLOP/s × utilisation)``, with the utilisation (MFU, relative to 6·N·T) a
range per method; memory counts weights, gradients and AdamW states per method plus
checkpointed activations and the logits. Every constant is in this module and in
docs/validate.md, with its source; prices are a default table the user overrides.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from dataprep.errors import ConfigError, InputError

__all__ = [
    "GPUS",
    "METHODS",
    "Estimate",
    "Gpu",
    "Method",
    "advice",
    "central_hours",
    "estimate",
    "load_prices",
    "parse_model_size",
]

Method = Literal["lora", "qlora", "full"]


@dataclass(frozen=True)
class Gpu:
    """Peak dense BF16 tensor throughput (vendor datasheets), memory, default price per hour."""

    tflops: float
    memory_gb: float
    price: float


#: Datasheet dense BF16 (FP32 accumulate) peaks; prices are indicative on-demand USD per GPU-hour
#: from public cloud list prices in 2025 (override with --prices).
GPUS: dict[str, Gpu] = {
    "H100-SXM-80GB": Gpu(989.4, 80, 2.99),
    "H200-141GB": Gpu(989.4, 141, 3.79),
    "A100-80GB": Gpu(312.0, 80, 1.79),
    "L40S-48GB": Gpu(362.1, 48, 0.86),
    "RTX-4090-24GB": Gpu(165.2, 24, 0.69),
    "A10-24GB": Gpu(125.0, 24, 0.75),
    # AWS's A10 variant (G5 instances): 70 TFLOP/s BF16 tensor, not the A10's 125 (Baseten,
    # "NVIDIA A10 vs A10G for ML model inference"); price: g5.xlarge on-demand, us-east-1.
    "A10G-24GB": Gpu(70.0, 24, 1.01),
}


@dataclass(frozen=True)
class MethodProfile:
    """Utilisation range relative to 6·N·T, and bytes per parameter held on the GPUs."""

    mfu_low: float
    mfu_high: float
    bytes_per_param: float
    label: str


#: full: bf16 weights + fp32 master + AdamW m, v + bf16 grads = 2+4+8+2 bytes (ZeRO paper,
#: Rajbhandari et al. 2020). lora: frozen bf16 weights, adapters negligible (Hu et al. 2021).
#: qlora: NF4 with double quantisation, about 4.127 bits per parameter (Dettmers et al. 2023).
#: Utilisation: full fine-tuning reaches 0.35-0.55 of peak on A100/H100 (xtuner's Llama 3 8B,
#: 8k context: 205 TFLOP/s on A100); LoRA skips weight gradients (4·N·T of work) but runs at a
#: similar wall-clock speed, so 0.25-0.45 against 6·N·T; 4-bit QLoRA is 1.05-1.5x slower than
#: bf16 LoRA (LitGPT resource tables: 3.68 vs 2.36 min per 1k iterations, Llama 2 7B, A100;
#: QwenLM/Qwen README speed table: 7.0 vs 5.2 s/it for Qwen-7B at 2,048 tokens, 22.3 vs 21.3 at
#: 8,192), so 0.18-0.38. tests/validate/test_estimate.py checks the published runs.
METHODS: dict[str, MethodProfile] = {
    "full": MethodProfile(0.30, 0.55, 16.0, "full fine-tuning (AdamW, bf16 mixed precision)"),
    "lora": MethodProfile(0.25, 0.45, 2.0, "LoRA on bf16 weights"),
    "qlora": MethodProfile(0.18, 0.38, 0.516, "QLoRA on 4-bit NF4 weights"),
}

#: Extra forward passes per trained token: DPO and KTO run a frozen reference model too.
_REFERENCE_FACTOR = {"dpo": 8 / 6, "kto": 8 / 6}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kKmMbBtT]?)\s*$")
_UNITS = {"": 1.0, "k": 1e3, "m": 1e6, "b": 1e9, "t": 1e12}


def parse_model_size(text: str) -> float:
    """``8B``, ``1.5b``, ``500M`` or a plain number of parameters."""
    match = _SIZE.match(text)
    if match is None:
        raise ConfigError(
            f"--model-size {text!r} is not a size", hint="Write it like 8B, 1.5B or 500M"
        )
    return float(match.group(1)) * _UNITS[match.group(2).lower()]


def load_prices(path: str | Path | None) -> dict[str, Gpu]:
    """The GPU table with prices from a JSON file ``{"A100-80GB": 1.2, ...}`` applied."""
    table = dict(GPUS)
    if path is None:
        return table
    try:
        prices = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InputError(f"cannot read the price table ({error})", path=path) from None
    if not isinstance(prices, dict) or not all(
        isinstance(value, int | float) and value >= 0 for value in prices.values()
    ):
        raise InputError(
            'the price table must be a JSON object of GPU name -> USD per hour, e.g. {"A100-80GB": 1.2}',
            path=path,
        )
    unknown = sorted(set(prices) - set(table))
    if unknown:
        raise ConfigError(
            f"unknown GPU in the price table: {', '.join(unknown)}",
            hint=f"Known GPUs: {', '.join(table)}",
        )
    for name, price in prices.items():
        old = table[name]
        table[name] = Gpu(old.tflops, old.memory_gb, float(price))
    return table


def _shape(parameters: float) -> tuple[int, int]:
    """Hidden size and layers of a typical decoder of this size (N ≈ 12·L·h², h ≈ 128·L)."""
    hidden = (parameters * 128 / 12) ** (1 / 3)
    return int(hidden), max(1, round(hidden / 128))


def peak_memory_gb(
    parameters: float, method: str, sequence: int, vocabulary: int = 128_256
) -> float:
    """Weights/optimizer states + checkpointed activations (micro-batch 1) + fp32 logits."""
    hidden, layers = _shape(parameters)
    states = parameters * METHODS[method].bytes_per_param
    # One bf16 hidden state per layer kept by gradient checkpointing, plus one layer being
    # recomputed (about 34 bytes per token per hidden unit, Korthikanti et al. 2022).
    activations = sequence * hidden * (2 * layers + 34)
    logits = sequence * vocabulary * 4 * 2  # fp32 logits and their gradient
    return (states + activations + logits) / 1e9 + 1.0  # ~1 GB CUDA context and allocator slack


@dataclass
class GpuEstimate:
    gpu: str
    hours_low: float
    hours_high: float
    gpus_for_memory: int
    cost_low: float
    cost_high: float


@dataclass
class Estimate:
    """What ``--estimate`` prints: tokens, FLOPs, memory and per-GPU hours and cost."""

    parameters: float
    method: str
    epochs: float
    tokens_per_epoch: int
    tokens_exact: bool
    flops: float
    memory_gb: float
    sequence: int
    gpus: list[GpuEstimate] = field(default_factory=list)
    advice: str = ""

    @property
    def training_tokens(self) -> float:
        return self.tokens_per_epoch * self.epochs

    def as_dict(self) -> dict[str, Any]:
        return {
            "model_parameters": self.parameters,
            "method": self.method,
            "epochs": self.epochs,
            "tokens_per_epoch": self.tokens_per_epoch,
            "tokens_counted_with_tokenizer": self.tokens_exact,
            "training_tokens": self.training_tokens,
            "flops": self.flops,
            "peak_memory_gb": round(self.memory_gb, 1),
            "gpus": [
                {
                    "gpu": g.gpu,
                    "gpu_hours": [round(g.hours_low, 2), round(g.hours_high, 2)],
                    "gpus_for_memory": g.gpus_for_memory,
                    "cost_usd": [round(g.cost_low, 2), round(g.cost_high, 2)],
                }
                for g in self.gpus
            ],
            "advice": self.advice,
        }

    def lines(self) -> list[str]:
        profile = METHODS[self.method]
        how = "counted with the tokenizer" if self.tokens_exact else "approximate: file bytes / 4"
        out = [
            f"estimate: {self.parameters / 1e9:g}B parameters, {profile.label}, {self.epochs:g} epochs",
            f"  training tokens: {self.training_tokens:,.0f} ({self.tokens_per_epoch:,} per epoch, {how})",
            f"  compute: {self.flops:.3g} FLOPs (6·N·T; utilisation {profile.mfu_low:.0%}-{profile.mfu_high:.0%} of peak)",
            f"  peak memory: {self.memory_gb:.1f} GB (micro-batch 1, {self.sequence} tokens, gradient checkpointing)",
        ]
        for g in self.gpus:
            fit = (
                "fits on 1 GPU"
                if g.gpus_for_memory == 1
                else f"needs {g.gpus_for_memory} GPUs (sharded)"
            )
            out.append(
                f"  {g.gpu:<14} {_number(g.hours_low)}-{_number(g.hours_high)} GPU-hours, "
                f"${_number(g.cost_low)}-${_number(g.cost_high)}, {fit}"
            )
        out.append(f"  advice: {self.advice}")
        return out


def _number(value: float) -> str:
    """Three significant digits, with thousands separators for big values."""
    return f"{value:,.0f}" if value >= 1000 else f"{value:.3g}"


def central_hours(result: Estimate, gpu: str) -> float:
    """GPU-hours at the middle of the method's utilisation range (what the tests compare)."""
    spec = METHODS[result.method]
    peak = GPUS[gpu].tflops * 1e12
    return result.flops / (peak * (spec.mfu_low + spec.mfu_high) / 2) / 3600


def estimate(
    *,
    tokens_per_epoch: int,
    parameters: float,
    epochs: float,
    method: str,
    profile: str = "sft",
    rows: int = 0,
    sequence: int = 1024,
    tokens_exact: bool = True,
    gpus: dict[str, Gpu] | None = None,
) -> Estimate:
    """GPU-hours, memory and cost for training ``tokens_per_epoch`` tokens ``epochs`` times."""
    if method not in METHODS:
        raise ConfigError(f"unknown method {method!r}", hint=f"Use one of: {', '.join(METHODS)}")
    if parameters <= 0 or epochs <= 0:
        raise ConfigError("--model-size and --epochs must be positive")
    spec = METHODS[method]
    flops = 6 * parameters * tokens_per_epoch * epochs * _REFERENCE_FACTOR.get(profile, 1.0)
    memory = peak_memory_gb(parameters, method, sequence)
    result = Estimate(
        parameters, method, epochs, tokens_per_epoch, tokens_exact, flops, memory, sequence
    )
    for name, gpu in (gpus or GPUS).items():
        peak = gpu.tflops * 1e12
        low = flops / (peak * spec.mfu_high) / 3600
        high = flops / (peak * spec.mfu_low) / 3600
        result.gpus.append(
            GpuEstimate(
                name,
                low,
                high,
                max(1, math.ceil(memory / gpu.memory_gb)),
                low * gpu.price,
                high * gpu.price,
            )
        )
    result.advice = advice(rows, tokens_per_epoch)
    return result


def advice(rows: int, tokens_per_epoch: int) -> str:
    """What the field recommends for this much data."""
    if rows < 50:
        return (
            f"{rows} examples: try prompting with a few examples first; OpenAI's fine-tuning "
            "guide sees clear gains from 50-100 examples (10 is its minimum)"
        )
    if rows < 10_000 and tokens_per_epoch < 20_000_000:
        return (
            "LoRA or QLoRA: on small instruction sets they match full fine-tuning "
            "(Hu et al. 2021; Dettmers et al. 2023) at a fraction of the memory"
        )
    if tokens_per_epoch < 200_000_000:
        return (
            "LoRA first; full fine-tuning starts to pay when the data teaches new domain "
            "knowledge (Biderman et al. 2024, 'LoRA Learns Less and Forgets Less')"
        )
    return (
        "full fine-tuning usually pays at this scale (hundreds of millions of tokens; "
        "Biderman et al. 2024), with more forgetting of the base model's skills"
    )
