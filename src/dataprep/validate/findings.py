"""Findings and the rule catalog: every check has a stable id, a default severity and a title.

Rule ids never change meaning; new rules get new ids. The catalog is what ``--output-format
sarif`` lists as ``rules`` and what docs/validate.md documents.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["RULES", "SEVERITY_ORDER", "Finding", "Rule", "Severity"]

Severity = Literal["error", "warning", "info"]

#: Sort key: errors first.
SEVERITY_ORDER: dict[str, int] = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: which rule, how bad, where (``line`` is 1-based, ``pointer`` a JSON Pointer)."""

    rule: str
    severity: Severity
    line: int | None
    pointer: str
    message: str
    #: Stable id of the row's content (a hash of its text), so CI can track a finding across runs.
    fingerprint: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "title": RULES[self.rule].title,
            "severity": self.severity,
            "line": self.line,
            "pointer": self.pointer,
            "message": self.message,
            "fingerprint": self.fingerprint,
        }


@dataclass(frozen=True, slots=True)
class Rule:
    """A check's stable id, default severity, a short title and the reason it matters."""

    id: str
    severity: Severity
    title: str
    why: str


_CATALOG = [
    # File and line level.
    Rule(
        "J001",
        "error",
        "invalid-json",
        "The line is not valid JSON; every loader stops or skips it.",
    ),
    Rule("J002", "error", "not-an-object", "Each JSONL line must be one JSON object (a row)."),
    Rule(
        "J003",
        "error",
        "bad-encoding",
        "The file must be UTF-8; Arrow's JSON reader rejects anything else.",
    ),
    Rule(
        "J004",
        "info",
        "json-array",
        "The file is one JSON array, not JSON Lines; datasets and LLaMA-Factory read it, line-based tools do not.",
    ),
    Rule(
        "J007",
        "error",
        "lone-surrogate",
        "A \\uD800-\\uDFFF escape without its pair is not Unicode text; Arrow's JSON reader rejects the file.",
    ),
    Rule(
        "J005",
        "warning",
        "blank-line",
        "Blank lines are skipped by some loaders and rejected by others.",
    ),
    Rule(
        "J006",
        "warning",
        "byte-order-mark",
        "A UTF-8 byte-order mark: datasets copes, but line-by-line json.loads and many upload checks fail on line 1.",
    ),
    # Format detection and consistency.
    Rule(
        "F001",
        "error",
        "no-format",
        "The row matches no record format, so a trainer cannot use it without mapping.",
    ),
    Rule(
        "F002",
        "warning",
        "several-formats",
        "The row matches two formats (e.g. text and messages); TRL trains on one (messages) and ignores the other.",
    ),
    Rule(
        "F003",
        "error",
        "format-drift",
        "TRL decides the format from the first row and Arrow needs one schema, so every row must match it.",
    ),
    Rule(
        "F004",
        "error",
        "type-drift",
        "A field has a different JSON type than in earlier rows; Arrow and older datasets versions cannot load mixed types in one column.",
    ),
    Rule(
        "F005",
        "error",
        "mixed-kinds",
        "Standard (string) and conversational (message list) fields in one row; TRL's detection is then random.",
    ),
    Rule(
        "F006",
        "error",
        "wrong-profile",
        "The row's format is not one the chosen trainer profile accepts.",
    ),
    Rule(
        "F007",
        "info",
        "few-rows",
        "Below about 50 examples, few-shot prompting usually beats fine-tuning.",
    ),
    Rule(
        "F008",
        "error",
        "field-type",
        "A field has the wrong JSON type (e.g. a number where text is expected).",
    ),
    Rule("F009", "error", "empty-file", "The file has no rows."),
    Rule(
        "F010",
        "error",
        "json-decoded-string",
        'A string such as "42" in a field whose type varies: datasets stores the field as Json and decodes it into a number, which templates render as nothing.',
    ),
    Rule(
        "V001",
        "error",
        "vision-columns",
        "An image/images column makes TRL treat the dataset as vision data and raise unless the model is a vision-language model.",
    ),
    # Messages.
    Rule(
        "M001",
        "error",
        "no-messages",
        "The message list is missing, not a list, or empty (TRL raises IndexError on []).",
    ),
    Rule("M002", "error", "bad-message", "A message must be an object with a role and content."),
    Rule(
        "M003",
        "error",
        "unknown-role",
        "The role is not one chat templates know; most templates raise or mis-render.",
    ),
    Rule(
        "M004",
        "error",
        "sharegpt-roles",
        "ShareGPT roles (human/gpt) need mapping: TRL renames the keys but keeps the role names, so the template renders 'human' and 'gpt' literally.",
    ),
    Rule(
        "M005",
        "error",
        "empty-content",
        "Content is empty, whitespace or not text; the turn teaches nothing or breaks templates.",
    ),
    Rule(
        "M006",
        "error",
        "no-assistant",
        "The conversation has no assistant turn, so there is nothing to learn.",
    ),
    Rule(
        "M007",
        "warning",
        "not-alternating",
        "Two user or two assistant turns in a row; strict templates (Gemma, Mistral) raise.",
    ),
    Rule(
        "M008",
        "warning",
        "misplaced-system",
        "A system turn that is not first, or more than one; many templates reject it.",
    ),
    Rule(
        "M009",
        "warning",
        "last-not-assistant",
        "The conversation ends with a turn that is not the assistant's; it is not learned.",
    ),
    Rule(
        "M010", "error", "bad-weight", "A message weight must be 0 or 1 (OpenAI chat fine-tuning)."
    ),
    Rule(
        "M011",
        "error",
        "weight-zero",
        "TRL has no per-message weights: a weight-0 turn (meant to be skipped by the loss) is trained on.",
    ),
    Rule(
        "S002",
        "warning",
        "prompt-ends-with-system",
        "A conversational prompt ends with a system turn: the trainers render it, but trl.apply_chat_template (GRPO reward models, older TRL) raises 'Invalid role in the last message'.",
    ),
    # Preference pairs.
    Rule(
        "P001",
        "error",
        "chosen-equals-rejected",
        "Identical chosen and rejected give no gradient and mangle prompt extraction.",
    ),
    Rule(
        "P002",
        "error",
        "empty-implicit-prompt",
        "Without a prompt column, TRL takes the common prefix of chosen and rejected as the prompt; here it is empty.",
    ),
    Rule(
        "P003",
        "error",
        "prefix-swallows-response",
        "One response is a prefix of the other, so TRL's prompt extraction eats the response.",
    ),
    Rule(
        "P004",
        "error",
        "prompt-repeated",
        "The explicit prompt is repeated inside chosen/rejected, so the model sees it twice.",
    ),
    Rule(
        "P005",
        "error",
        "empty-response",
        "chosen or rejected is missing or empty (TRL's extract_prompt crashes on it).",
    ),
    Rule(
        "P006",
        "warning",
        "non-assistant-response",
        "With an explicit prompt, chosen/rejected should hold only assistant turns.",
    ),
    Rule(
        "P007",
        "error",
        "json-string-messages",
        "A prompt/chosen/rejected/completion string that is json.dumps of a message list: TRL trains on the JSON text.",
    ),
    Rule("R001", "error", "bad-margin", "The reward margin must be a number."),
    # GRPO.
    Rule(
        "G001",
        "error",
        "reserved-column",
        "The column collides with an argument TRL passes to reward functions (TypeError or silently overwritten).",
    ),
    Rule(
        "G002",
        "error",
        "unreachable-column",
        "TRL never passes this column to reward functions, so rewards computed from it silently see nothing.",
    ),
    Rule(
        "G003",
        "warning",
        "templated-prompt",
        "The prompt already contains chat-template tokens; GRPO expects raw text or messages.",
    ),
    # KTO.
    Rule(
        "K001",
        "error",
        "label-not-boolean",
        "KTO labels must be JSON true/false (TRL also casts 1/0); strings and other numbers are misread.",
    ),
    Rule(
        "K002", "warning", "one-label-class", "KTO needs both desirable and undesirable examples."
    ),
    Rule(
        "K003",
        "info",
        "label-balance",
        "The desirable/undesirable ratio sets the loss weights TRL recommends.",
    ),
    # Dataset level.
    Rule(
        "D001",
        "warning",
        "duplicate",
        "The row repeats an earlier row exactly, which over-weights it.",
    ),
    Rule(
        "D002",
        "error",
        "eval-overlap",
        "The row's prompt also appears in the evaluation file, so the evaluation is contaminated.",
    ),
    # LLaMA-Factory (--profile llamafactory).
    Rule(
        "Y001",
        "error",
        "lf-invalid-role-tag",
        "A turn's role is not the tag LLaMA-Factory expects at that position (user/observation odd, assistant/function even): it skips the row ('Invalid role tag').",
    ),
    Rule(
        "Y002",
        "error",
        "lf-invalid-message-count",
        "An odd number of turns (even for ranking rows): LLaMA-Factory skips the row ('Invalid message count').",
    ),
    Rule(
        "Y003",
        "error",
        "lf-missing-column",
        "A column or message key named in dataset_info.json is missing: LLaMA-Factory raises KeyError.",
    ),
    Rule(
        "Y004",
        "error",
        "lf-dropped",
        "The row has no usable response (or pair) for its stage: LLaMA-Factory drops it ('Dropped invalid example').",
    ),
    Rule(
        "Y005",
        "error",
        "lf-kto-tag",
        "kto_tag is not a JSON boolean, so the row is no KTO example and LLaMA-Factory's KTO stage drops it.",
    ),
    Rule(
        "Y006",
        "error",
        "lf-no-valid-samples",
        "Every row would be skipped: LLaMA-Factory stops with 'Cannot find valid samples'.",
    ),
    Rule(
        "Y007",
        "warning",
        "lf-ignored-field",
        "An empty instruction or a malformed history that LLaMA-Factory silently ignores.",
    ),
    Rule(
        "Y008",
        "error",
        "lf-pair-role",
        "A ranking row's chosen/rejected message does not have the assistant tag; LLaMA-Factory logs 'Invalid role tag' but keeps the pair.",
    ),
    # Axolotl (--profile axolotl).
    Rule(
        "X002",
        "error",
        "ax-no-messages",
        "field_messages is missing or not a list of messages: Axolotl raises 'Messages is null'.",
    ),
    Rule(
        "X003",
        "error",
        "ax-bad-message",
        "A message lacks the keys message_property_mappings names, or (DPO) has a role the roles map lacks: Axolotl raises.",
    ),
    Rule(
        "X004",
        "warning",
        "ax-unmapped-role",
        "A role the roles mapping does not know passes through unchanged to the chat template.",
    ),
    Rule(
        "X005",
        "error",
        "ax-nothing-to-train",
        "No turn has a role in roles_to_train, so every label is masked.",
    ),
    Rule(
        "X006", "warning", "ax-last-not-trainable", "The last turn is not trainable; Axolotl warns."
    ),
    Rule(
        "X007",
        "info",
        "ax-unchecked-type",
        "This Axolotl dataset type is not one the profile checks (chat_template, chat_template.default).",
    ),
    # Token lengths (with --tokenizer).
    Rule(
        "L001",
        "error",
        "truncated",
        "The row, with the tokens the trainer adds (EOS, template tokens), is longer than --max-length; the trainer cuts its end (and the EOS) off.",
    ),
    Rule(
        "L002",
        "error",
        "dropped",
        "The trainer would drop this row at --max-length (nothing left to learn).",
    ),
    Rule(
        "L003",
        "error",
        "template-error",
        "The chat template raises on this row (e.g. strict templates on roles that do not alternate).",
    ),
    Rule(
        "L004",
        "error",
        "no-loss-tokens",
        "With assistant-only loss the row has no assistant token to learn (the template lacks {% generation %} markers, or the row has no assistant turn): TRL raises.",
    ),
]

RULES: dict[str, Rule] = {rule.id: rule for rule in _CATALOG}
