"""What a TRL trainer tokenizes for a row (``Judge.plan``), done in batches (``Renderer.run``).

Modelled on TRL 1.16 ``_prepare_dataset`` of SFTTrainer, DPOTrainer, KTOTrainer and
RewardTrainer: plain-text fields get the EOS token appended and are tokenized with the
tokenizer's special tokens; message lists go through ``apply_chat_template`` (the prompt alone
with the generation prompt); the completion starts where prompt and prompt+completion tokens
diverge. ``Judge.verdict`` turns the counts into the trainer's truncations and drops.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from dataprep.validate.rows import trl_prompt_split

__all__ = ["Judge", "Plan", "Renderer", "Seq", "TokenCounts", "Verdict"]

# The block transformers uses to mark assistant tokens for return_assistant_tokens_mask.
_GENERATION = re.compile(r"{%-?\s*generation\s*-?%}")


@dataclass(eq=False)
class Seq:
    """One sequence to tokenize: a message list (``chat``) or a plain string."""

    value: Any
    chat: bool
    generation_prompt: bool = False
    tools: Any = None
    #: Count tokens per role and (with assistant-only loss) the assistant mask.
    main: bool = False


@dataclass(eq=False)
class Plan:
    """The sequences a trainer builds from one row, by name (``prompt``, ``full``, ...)."""

    fmt: str
    seqs: dict[str, Seq]


@dataclass
class TokenCounts:
    """Token ids per sequence, roles per main sequence, template errors per plan."""

    ids: dict[int, list[int]] = field(default_factory=dict)
    roles: dict[int, Counter[str]] = field(default_factory=dict)
    masks: dict[int, list[int]] = field(default_factory=dict)
    errors: dict[int, str] = field(default_factory=dict)


@dataclass
class Verdict:
    longest: int | None
    roles: Counter[str]
    findings: list[tuple[str, str, str]]
    #: Tokens the model is trained on (after truncation; 0 when the row is dropped).
    trained: int = 0


def common_prefix_length(left: list[int], right: list[int]) -> int:
    """How many leading tokens two sequences share (TRL's ``common_prefix_length``)."""
    count = 0
    for a, b in zip(left, right, strict=False):
        if a != b:
            break
        count += 1
    return count


class Renderer:
    """Tokenizes plans in batches with a transformers tokenizer, as the trainer would."""

    def __init__(self, tokenizer: Any, *, assistant_only_loss: bool = False) -> None:
        self.tokenizer = tokenizer
        self.eos = tokenizer.eos_token
        template = getattr(tokenizer, "chat_template", None)
        self.template = template if isinstance(template, str) else None
        self.assistant_only_loss = assistant_only_loss
        self.has_generation_markers = bool(_GENERATION.search(self.template or ""))

    def run(self, plans: list[Plan]) -> TokenCounts:
        counts = TokenCounts()
        owner = {id(seq): plan for plan in plans for seq in plan.seqs.values()}
        seqs = [seq for plan in plans for seq in plan.seqs.values()]
        texts = [seq for seq in seqs if not seq.chat]
        if texts:
            encoded = self.tokenizer([seq.value for seq in texts])["input_ids"]
            for seq, ids in zip(texts, encoded, strict=True):
                counts.ids[id(seq)] = ids
        chats = [seq for seq in seqs if seq.chat]
        if chats and self.template is None:
            for seq in chats:
                counts.errors[id(owner[id(seq)])] = (
                    "the tokenizer has no chat template, so TRL cannot render message lists"
                )
            return counts
        key = _group_key
        for _, group in groupby(sorted(chats, key=key), key=key):
            self._render_chats(list(group), owner, counts)
        return counts

    def _render_chats(self, seqs: list[Seq], owner: dict[int, Plan], counts: TokenCounts) -> None:
        first = seqs[0]
        kwargs = {"add_generation_prompt": first.generation_prompt, "tools": first.tools}
        live = [seq for seq in seqs if id(owner[id(seq)]) not in counts.errors]
        try:
            rendered = self.tokenizer.apply_chat_template(
                [seq.value for seq in live], tokenize=False, **kwargs
            )
        except Exception:  # one bad row fails the batch: find it row by row
            rendered = []
            kept = []
            for seq in live:
                try:
                    rendered.append(
                        self.tokenizer.apply_chat_template(seq.value, tokenize=False, **kwargs)
                    )
                    kept.append(seq)
                except Exception as error:
                    counts.errors[id(owner[id(seq)])] = _template_error(error)
            live = kept
        if not live:
            return
        encoded = self.tokenizer(rendered, add_special_tokens=False)
        for index, (seq, text) in enumerate(zip(live, rendered, strict=True)):
            counts.ids[id(seq)] = encoded["input_ids"][index]
            if seq.main and encoded.encodings:
                counts.roles[id(seq)] = _role_tokens(seq.value, text, encoded.encodings[index])
        if self.assistant_only_loss and self.has_generation_markers:
            mains = [seq for seq in live if seq.main]
            if mains:
                masked = self.tokenizer.apply_chat_template(
                    [seq.value for seq in mains],
                    tokenize=True,
                    return_dict=True,
                    return_assistant_tokens_mask=True,
                    **kwargs,
                )
                for seq, mask in zip(mains, masked["assistant_masks"], strict=True):
                    counts.masks[id(seq)] = mask


def _group_key(seq: Seq) -> tuple[bool, str]:
    tools = "" if seq.tools is None else json.dumps(seq.tools, sort_keys=True, default=str)
    return seq.generation_prompt, tools


def _template_error(error: Exception) -> str:
    message = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
    return f"the chat template fails on this row: {message}"


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part.get("text", "") for part in content if isinstance(part, dict) and part.get("text")
        )
    return ""


def _role_tokens(messages: list[Any], text: str, encoding: Any) -> Counter[str]:
    """Tokens of each message's content in the rendered text; the rest counts as ``template``.

    Each content is found in the rendered text in order and mapped to its first and last token
    with the tokenizer's own character-to-token map (no per-token work in Python).
    """
    roles: Counter[str] = Counter()
    total = len(encoding.ids)
    cursor = 0
    for message in messages:
        if not isinstance(message, dict):
            continue
        content = _content_text(message.get("content"))
        if not content:
            continue
        where = text.find(content, cursor)
        if where < 0:
            continue
        cursor = where + len(content)
        first = encoding.char_to_token(where)
        last = encoding.char_to_token(cursor - 1)
        if first is not None and last is not None:
            roles[str(message.get("role"))] += last - first + 1
    roles["template"] = total - sum(roles.values())
    return roles


def _tools(row: dict[str, Any]) -> Any:
    tools = row.get("tools")
    if isinstance(tools, str):
        try:
            return json.loads(tools)
        except ValueError:
            return None
    return tools or None


class Judge:
    """Builds each row's plan for a profile and reads the trainer's verdict from the counts."""

    def __init__(self, profile: str, max_length: int, renderer: Renderer) -> None:
        self.profile = profile
        self.max_length = max_length
        self.renderer = renderer

    def _eos(self, text: str) -> str:
        eos = self.renderer.eos
        return text if not eos or text.endswith(eos) else text + eos

    def _pair(self, prompt: Any, completion: Any, tools: Any, eos: bool = True) -> dict[str, Seq]:
        """prompt alone and prompt+completion, as the trainers tokenize them."""
        if isinstance(prompt, list):
            return {
                "prompt": Seq(prompt, True, True, tools),
                "full": Seq(prompt + completion, True, False, tools, main=True),
            }
        tail = self._eos(completion) if eos else completion
        return {"prompt": Seq(prompt, False), "full": Seq(prompt + tail, False, main=True)}

    def plan(self, row: dict[str, Any], fmt: str) -> Plan | None:
        try:
            seqs = self._seqs(row, fmt)
        except (TypeError, KeyError, AttributeError, IndexError):
            return None  # a malformed row, already reported by the row checks
        return None if seqs is None else Plan(fmt, seqs)

    def _seqs(self, row: dict[str, Any], fmt: str) -> dict[str, Seq] | None:
        tools = _tools(row)
        if fmt == "messages" or fmt == "sharegpt":
            messages = row["messages"] if fmt == "messages" else _sharegpt_as_trl(row)
            return {"full": Seq(messages, True, False, tools, main=True)}
        if fmt == "text":
            return {"full": Seq(self._eos(row["text"]), False, main=True)}
        if fmt == "prompt_only":
            prompt = row["prompt"]
            return {"prompt": Seq(prompt, isinstance(prompt, list), True, tools, main=True)}
        if fmt in ("prompt_completion", "unpaired_preference"):
            return self._pair(row["prompt"], row["completion"], tools)
        return self._preference(row, fmt, tools)

    def _preference(self, row: dict[str, Any], fmt: str, tools: Any) -> dict[str, Seq]:
        chosen, rejected = row["chosen"], row["rejected"]
        if fmt == "preference_explicit":
            prompt = row["prompt"]
        elif self.profile == "reward":
            prompt = [] if isinstance(chosen, list) else ""
        else:  # DPO and KTO extract the common prefix as the prompt
            split, _ = trl_prompt_split(chosen, rejected)
            prompt, chosen, rejected = chosen[:split], chosen[split:], rejected[split:]
        if self.profile == "reward":  # the prompt is concatenated, nothing else is tokenized
            chat = isinstance(chosen, list)
            c = prompt + (chosen if chat else self._eos(chosen))
            r = prompt + (rejected if chat else self._eos(rejected))
            return {
                "full": Seq(c, chat, main=True, tools=tools),
                "rejected": Seq(r, chat, tools=tools),
            }
        seqs = self._pair(prompt, chosen, tools)
        seqs["rejected"] = self._pair(prompt, rejected, tools)["full"]
        seqs["rejected"].main = False
        return seqs

    def verdict(self, plan: Plan, counts: TokenCounts) -> Verdict:
        ids = {name: counts.ids.get(id(seq), []) for name, seq in plan.seqs.items()}
        main = next(seq for seq in plan.seqs.values() if seq.main)
        roles = counts.roles.get(id(main), Counter())
        longest = max(len(value) for value in ids.values())
        findings: list[tuple[str, str, str]] = []
        limit = self.max_length
        trained = sum(min(len(v), limit) for name, v in ids.items() if name != "prompt")
        if self.profile == "grpo":
            return Verdict(longest, roles, findings, len(ids["prompt"]))
        if self.profile == "reward":
            if longest > limit:
                findings.append(
                    (
                        "L002",
                        "",
                        f"chosen or rejected is {longest} tokens (with EOS/template) > max_length "
                        f"{limit}: RewardTrainer drops the row",
                    )
                )
            return Verdict(longest, roles, findings, 0 if findings else trained)
        mask = counts.masks.get(id(main))
        if (
            self.renderer.assistant_only_loss
            and main.chat
            and plan.fmt in ("messages", "sharegpt", "prompt_completion")
            and (mask is None or 1 not in mask)
        ):
            why = (
                "the chat template has no {% generation %} markers"
                if not self.renderer.has_generation_markers
                else "the row has no assistant turn"
            )
            findings.append(
                (
                    "L004",
                    "",
                    f"no assistant token to learn ({why}); TRL raises with assistant_only_loss",
                )
            )
            return Verdict(longest, roles, findings)
        findings.extend(self._cut(ids, mask, limit))
        dropped = any(rule == "L002" for rule, _, _ in findings)
        return Verdict(longest, roles, findings, 0 if dropped else trained)

    def _cut(
        self, ids: dict[str, list[int]], mask: list[int] | None, limit: int
    ) -> list[tuple[str, str, str]]:
        trainer = {"sft": "SFTTrainer", "dpo": "DPOTrainer", "kto": "KTOTrainer"}[self.profile]
        full = ids["full"]
        if "prompt" in ids:
            prompt_length = min(
                common_prefix_length(ids["prompt"], value)
                for name, value in ids.items()
                if name != "prompt"
            )
            # SFT (completion-only loss, TRL's default for prompt-completion), DPO and KTO
            # drop a row whose completion starts at or after max_length.
            if prompt_length >= limit or (self.profile == "sft" and prompt_length >= len(full)):
                return [
                    (
                        "L002",
                        "/prompt",
                        f"prompt is {prompt_length} tokens >= max_length {limit}: no completion "
                        f"token is left, so {trainer} drops the row",
                    )
                ]
        if mask is not None and 1 not in mask[:limit]:
            return [
                (
                    "L002",
                    "",
                    f"no assistant token within max_length {limit}: {trainer} drops the row",
                )
            ]
        longest = max(len(value) for name, value in ids.items() if name != "prompt")
        if longest > limit:
            return [
                (
                    "L001",
                    "",
                    f"{longest} tokens (with the EOS/template tokens the trainer adds) > max_length "
                    f"{limit}: {trainer} cuts the end off",
                )
            ]
        return []


def _sharegpt_as_trl(row: dict[str, Any]) -> list[dict[str, Any]]:
    """TRL's ``maybe_convert_to_chatml``: keys renamed, role names kept as they are."""
    return [
        {"role": turn.get("from"), "content": turn.get("value")}
        for turn in row["conversations"]
        if isinstance(turn, dict)
    ]
