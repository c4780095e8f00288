"""--estimate: published training runs reproduced within 2x, linear in tokens and epochs, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dataprep.validate.estimate import (
    GPUS,
    central_hours,
    estimate,
    load_prices,
    parse_model_size,
    peak_memory_gb,
)
from tests.conftest import FIXTURES, run_main

GOOD = FIXTURES / "validate" / "good"

#: LitGPT's published fine-tuning table (one A10G, bf16, max_seq_length 512, training runtime
#: in minutes): https://github.com/Lightning-AI/litgpt/blob/main/config_hub/finetune/README.md
#: (Lightning-AI/litgpt, config_hub/finetune/README.md, commit 03ffc5515b251fb7e3a461efd0e3c163e45b6b3b).
LITGPT_TABLE = "Lightning-AI/litgpt config_hub/finetune/README.md (commit 03ffc551)"
#: Alpaca2k (mhenrichsen/alpaca_2k_test): 2,000 rows, LitGPT trains on 95% (litgpt/data/alpaca_2k.py,
#: val_split_fraction=0.05) = 1,900 rows. Tokens per row: the Alpaca parquet holds 47,764,738
#: bytes for 52,002 rows of instruction/input/output plus the Alpaca-prompt `text` column, i.e.
#: ~372 bytes of content + ~175 bytes of prompt template ≈ 547 bytes ≈ 140 tokens at 4 bytes per
#: token (the byte rule validate uses without --tokenizer), EOS included.
ALPACA2K_TOKENS = 1_900 * 140

# (what, parameters, tokens, epochs, method, GPU, published GPU-hours, source)
PUBLISHED = [
    (
        "Llama 2 7B",
        6.74e9,
        2.0e12,
        1,
        "full",
        "A100-80GB",
        184_320,
        "Touvron et al. 2023, Llama 2, Table 2 (A100-80GB GPU-hours, 2T tokens)",
    ),
    (
        "Llama 2 13B",
        13.0e9,
        2.0e12,
        1,
        "full",
        "A100-80GB",
        368_640,
        "Touvron et al. 2023, Llama 2, Table 2",
    ),
    (
        "Llama 2 70B",
        69.0e9,
        2.0e12,
        1,
        "full",
        "A100-80GB",
        1_720_320,
        "Touvron et al. 2023, Llama 2, Table 2",
    ),
    (
        # 2771.2 tokens/s per GPU, full fine-tuning, 8k context, 8 x A100-80GB, ZeRO-3:
        # 1e9 tokens take 1e9 / 2771.2 / 3600 GPU-hours.
        "Llama 3 8B full fine-tuning (xtuner)",
        8.03e9,
        1.0e9,
        1,
        "full",
        "A100-80GB",
        1.0e9 / 2771.2 / 3600,
        "InternLM/xtuner, xtuner/configs/llama/llama3_8b_instruct/README.md, Speed table",
    ),
    # QwenLM/Qwen README.md (commit 03cd81f5e4da6ab60fc8f97f3b8aa1206fdb08a9), "Profiling of
    # Memory and Speed": fine-tuning on A100-SXM4-80G, flash attention 2, batch size 1 and
    # gradient accumulation 8 per GPU, so one iteration trains 8 sequences of the stated length
    # on each GPU. A run of 1,000 iterations: tokens = 1,000 x 8 x length x GPUs, GPU-hours =
    # 1,000 x seconds per iteration x GPUs / 3,600.
    *(
        (
            f"Qwen-{size} {method} (Qwen README), {length} tokens, {gpus} x A100",
            float(size.rstrip("B")) * 1e9,
            1000 * 8 * length * gpus,
            1,
            method,
            "A100-80GB",
            1000 * seconds * gpus / 3600,
            "QwenLM/Qwen, README.md, Profiling of Memory and Speed",
        )
        for size, method, length, gpus, seconds in (
            ("7B", "lora", 2048, 1, 5.2),
            ("7B", "qlora", 2048, 1, 7.0),
            ("14B", "lora", 2048, 1, 8.4),
            ("14B", "qlora", 2048, 1, 11.8),
            ("72B", "qlora", 2048, 1, 59.5),
            ("72B", "lora", 2048, 4, 45.7),  # with DeepSpeed ZeRO-3
            ("7B", "full", 1024, 2, 4.5),
        )
    ),
    *(
        (
            f"{model} {method} on Alpaca2k, 1xA10G (LitGPT)",
            parameters,
            ALPACA2K_TOKENS,
            epochs,
            method,
            "A10G-24GB",
            minutes / 60,
            LITGPT_TABLE,
        )
        for model, parameters, method, epochs, minutes in [
            ("Llama 3 8B", 8.03e9, "lora", 2, 14.79),
            ("Llama 2 7B", 6.74e9, "lora", 4, 32.82),
            ("Llama 2 7B", 6.74e9, "qlora", 4, 45.67),
            ("Mistral 7B", 7.24e9, "lora", 4, 31.01),
        ]
    ),
]


@pytest.mark.parametrize("run", PUBLISHED, ids=[run[0] for run in PUBLISHED])
def test_reproduces_published_runs_within_2x(run: tuple) -> None:
    _, parameters, tokens, epochs, method, gpu, published, _ = run
    result = estimate(
        tokens_per_epoch=int(tokens), parameters=parameters, epochs=epochs, method=method
    )
    predicted = central_hours(result, gpu)
    assert published / 2 <= predicted <= published * 2, (predicted, published)
    low, high = next((g.hours_low, g.hours_high) for g in result.gpus if g.gpu == gpu)
    assert low <= predicted <= high


@pytest.mark.parametrize("method", ["lora", "qlora", "full"])
def test_linear_in_tokens_and_epochs(method: str) -> None:
    base = estimate(tokens_per_epoch=1_000_000, parameters=8e9, epochs=1, method=method)
    more_tokens = estimate(tokens_per_epoch=3_000_000, parameters=8e9, epochs=1, method=method)
    more_epochs = estimate(tokens_per_epoch=1_000_000, parameters=8e9, epochs=3, method=method)
    for other in (more_tokens, more_epochs):
        assert other.flops == pytest.approx(3 * base.flops)
        for mine, theirs in zip(base.gpus, other.gpus, strict=True):
            assert theirs.hours_low == pytest.approx(3 * mine.hours_low)
            assert theirs.hours_high == pytest.approx(3 * mine.hours_high)
            assert theirs.cost_high == pytest.approx(3 * mine.cost_high)
    assert more_epochs.memory_gb == base.memory_gb  # memory does not grow with data


def test_memory_orders_methods_and_preference_adds_reference() -> None:
    full, lora, qlora = (peak_memory_gb(8e9, m, 2048) for m in ("full", "lora", "qlora"))
    assert full > lora > qlora
    assert 128 < full < 160  # 16 bytes per parameter + activations
    sft = estimate(tokens_per_epoch=10**6, parameters=8e9, epochs=1, method="lora")
    dpo = estimate(tokens_per_epoch=10**6, parameters=8e9, epochs=1, method="lora", profile="dpo")
    assert dpo.flops == pytest.approx(sft.flops * 8 / 6)


def test_model_size_and_price_table(tmp_path: Path) -> None:
    assert parse_model_size("8B") == 8e9 and parse_model_size("500m") == 5e8
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"A100-80GB": 0.5}))
    table = load_prices(prices)
    assert table["A100-80GB"].price == 0.5 and table["H100-SXM-80GB"] == GPUS["H100-SXM-80GB"]
    prices.write_text(json.dumps({"TPU": 1}))
    code, _, err = run_main(
        "validate",
        GOOD / "sft" / "messages.jsonl",
        "--estimate",
        "--model-size",
        "8B",
        "--prices",
        prices,
    )
    assert code == 2 and "unknown GPU" in err


@pytest.mark.parametrize(
    ("rows", "words"), [(6, "prompting"), (500, "LoRA or QLoRA"), (200_000, "full fine-tuning")]
)
def test_advice_by_data_size(rows: int, words: str) -> None:
    result = estimate(
        tokens_per_epoch=rows * 1000, parameters=8e9, epochs=3, method="lora", rows=rows
    )
    assert words in result.advice


def test_cli_estimate_uses_trainer_token_counts() -> None:
    pytest.importorskip("transformers")
    code, out, _ = run_main(
        "validate",
        GOOD / "sft" / "messages.jsonl",
        "--tokenizer",
        FIXTURES / "validate" / "tokenizer",
        "--estimate",
        "--model-size",
        "8B",
        "--epochs",
        "2",
        "--method",
        "full",
        "--output-format",
        "json",
    )
    report = json.loads(out)
    assert code == 0
    found = report["estimate"]
    assert found["tokens_counted_with_tokenizer"] is True
    assert found["training_tokens"] == 2 * found["tokens_per_epoch"] > 0
    assert {g["gpu"] for g in found["gpus"]} == set(GPUS)
    code, text, _ = run_main(
        "validate", GOOD / "sft" / "messages.jsonl", "--estimate", "--model-size", "8B"
    )
    assert "approximate: file bytes / 4" in text and "GPU-hours" in text
    code, _, err = run_main("validate", GOOD / "sft" / "messages.jsonl", "--estimate")
    assert code == 2 and "--model-size" in err
