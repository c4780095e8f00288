"""The chat stages on hand-built message tables: cleaning, roles, sessions, samples."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataprep.errors import ConfigError, StageError
from tests.chat.helpers import chat, run_stages

PIPELINE = [
    ("clean_messages", {}),
    ("assign_roles", {"me": ["Colin"]}),
    ("sessionize", {"gap_minutes": 60}),
    ("build_samples", {}),
]


def roles(sample: dict) -> list[str]:
    return [m["role"] for m in sample["messages"]]


def test_two_sessions_become_two_samples_with_alternating_roles():
    frame = chat(
        (0, "Ann", "hi"),
        (1, "Colin", "hey"),
        (1, "Colin", "what's up"),
        (2, "Ann", "not much"),
        (3, "Colin", "cool"),
        (200, "Ann", "dinner?"),
        (201, "Colin", "sure"),
    )
    result, sink = run_stages([frame], PIPELINE)
    samples = sink.frame.to_dicts()
    assert len(samples) == 2
    assert samples[0]["messages"] == [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hey\nwhat's up"},
        {"role": "user", "content": "not much"},
        {"role": "assistant", "content": "cool"},
    ]
    assert roles(samples[1]) == ["user", "assistant"]
    assert samples[0]["group"] != samples[1]["group"]
    assert samples[0]["source"] == "chat.txt:1-5"
    assert samples[1]["source"] == "chat.txt:6-7"
    assert sorted(samples[0]["speakers"]) == ["Ann", "Colin"]
    assert result.report["stages"]["sessionize"]["notes"]["messages_merged_into_turns"] == 1


def test_leading_assistant_and_trailing_user_turns_are_counted_rejects():
    frame = chat((0, "Colin", "morning"), (1, "Ann", "hi"), (2, "Colin", "yo"), (3, "Ann", "bye?"))
    result, sink = run_stages([frame], PIPELINE)
    (sample,) = sink.frame.to_dicts()
    assert roles(sample) == ["user", "assistant"]
    rejected = result.report["stages"]["build_samples"]["rejected"]
    assert rejected == {"leading_assistant_turn": 1, "trailing_user_turn": 1}


def test_session_without_assistant_is_rejected_with_reason():
    frame = chat(
        (0, "Ann", "hello?"), (1, "Ann", "anyone"), (300, "Ann", "x"), (301, "Colin", "here")
    )
    result, sink = run_stages([frame], PIPELINE)
    assert len(sink.frame) == 1
    # The first session's two messages merge into one user turn, rejected as a whole.
    assert result.report["stages"]["build_samples"]["rejected"] == {"no_assistant_turn": 1}


def test_system_media_deleted_and_empty_messages_are_dropped_with_reasons():
    frame = chat(
        (0, None, "Messages are end-to-end encrypted", "system"),
        (1, "Ann", "<Media omitted>", "media"),
        (2, "Ann", "This message was deleted", "deleted"),
        (3, "Ann", "  \u200e "),
        (4, "Ann", "real question"),
        (5, "Colin", "real answer"),
    )
    result, sink = run_stages([frame], PIPELINE)
    assert result.report["stages"]["clean_messages"]["rejected"] == {
        "system_line": 1,
        "media_placeholder": 1,
        "deleted_message": 1,
        "empty_text": 1,
    }
    (sample,) = sink.frame.to_dicts()
    assert [m["content"] for m in sample["messages"]] == ["real question", "real answer"]


@pytest.mark.parametrize(
    ("urls", "expected"),
    [
        ("keep", "see https://example.com/x ok"),
        ("remove", "see  ok"),
        ("placeholder", "see <URL> ok"),
    ],
    ids=["keep", "remove", "placeholder"],
)
def test_url_handling(urls, expected):
    frame = chat((0, "Ann", "see https://example.com/x ok"), (1, "Colin", "thanks"))
    _, sink = run_stages([frame], [("clean_messages", {"urls": urls}), *PIPELINE[1:]])
    assert sink.frame.to_dicts()[0]["messages"][0]["content"] == expected


def test_unicode_is_normalized_and_control_characters_removed():
    frame = chat((0, "Ann", "Cafe\u0301\x07 \u202aok\u202c"), (1, "Colin", "e\u0301"))
    _, sink = run_stages([frame], PIPELINE)
    contents = [m["content"] for m in sink.frame.to_dicts()[0]["messages"]]
    assert contents == ["Caf\u00e9 ok", "\u00e9"]


def test_long_sessions_are_cut_between_exchanges():
    lines = []
    for i in range(10):
        lines += [(i * 2, "Ann", f"question {i}"), (i * 2 + 1, "Colin", f"answer {i}")]
    _, sink = run_stages([chat(*lines)], [*PIPELINE[:3], ("build_samples", {"max_turns": 4})])
    samples = sink.frame.to_dicts()
    assert len(samples) == 5
    for sample in samples:
        assert roles(sample) == ["user", "assistant", "user", "assistant"]
    assert samples[-1]["messages"][-1]["content"] == "answer 9"


def test_system_prompt_is_prepended():
    _, sink = run_stages(
        [chat((0, "Ann", "hi"), (1, "Colin", "hey"))],
        [*PIPELINE[:3], ("build_samples", {"system": "You are Colin."})],
    )
    assert sink.frame.to_dicts()[0]["messages"][0] == {
        "role": "system",
        "content": "You are Colin.",
    }


def test_group_chat_user_turns_get_speaker_prefix():
    frame = chat((0, "Ann", "hi all"), (1, "Bob", "yo"), (2, "Colin", "hey both"))
    _, sink = run_stages([frame], PIPELINE)
    (sample,) = sink.frame.to_dicts()
    assert sample["messages"][0]["content"] == "Ann: hi all\nBob: yo"
    assert sample["messages"][1]["content"] == "hey both"


def test_out_of_order_timestamps_do_not_split_sessions():
    frame = chat((30, "Ann", "a"), (0, "Colin", "b"), (31, "Ann", "c"), (32, "Colin", "d"))
    _, sink = run_stages([frame], PIPELINE)
    assert len(sink.frame) == 1


def test_unknown_me_lists_speakers_with_counts():
    frame = chat((0, "Ann", "hi"), (1, "Bob", "hey"), (2, "Ann", "x"))
    with pytest.raises(StageError) as info:
        run_stages([frame], [("assign_roles", {"me": ["Zed"]})])
    message = str(info.value)
    assert "--me Zed matches no speaker" in message
    assert "Ann (2), Bob (1)" in message


def test_missing_me_without_export_hint_is_an_error():
    with pytest.raises(StageError, match="with --me NAME"):
        run_stages([chat((0, "Ann", "hi"))], [("assign_roles", {})])


def test_me_matches_platform_id_case_insensitively():
    frame = chat((0, "Ann", "hi"), (1, "Colin W", "hey"))
    frame = frame.with_columns(speaker_id=frame["speaker"].replace({"Colin W": "USER42"}))
    _, sink = run_stages(
        [frame], [*PIPELINE[:1], ("assign_roles", {"me": ["user42"]}), *PIPELINE[2:]]
    )
    assert roles(sink.frame.to_dicts()[0]) == ["user", "assistant"]


def test_unknown_stage_parameter_is_rejected_naming_the_stage():
    with pytest.raises(ConfigError, match=r"sessionize\.gap: unknown parameter"):
        run_stages([chat((0, "Ann", "hi"))], [("sessionize", {"gap": 5})])


_message = st.tuples(
    st.integers(min_value=0, max_value=120),  # minutes since the previous message
    st.sampled_from(["Ann", "Colin"]),
    st.text(alphabet="abc xyz", min_size=1, max_size=12).filter(lambda t: t.strip()),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_message, min_size=1, max_size=40), st.integers(min_value=2, max_value=8))
def test_samples_alternate_and_no_message_is_lost(messages, max_turns):
    import json
    import re
    import tempfile
    from pathlib import Path

    # A first message from Colin guarantees --me matches someone.
    minute, lines = 0, [(0, "Colin", "m-1 start")]
    for index, (gap, speaker, text) in enumerate(messages):
        minute += gap
        lines.append((minute, speaker, f"m{index} {text.strip()}"))
    with tempfile.TemporaryDirectory() as folder:
        rejects = Path(folder) / "rejects.jsonl"
        _, sink = run_stages(
            [chat(*lines)],
            [*PIPELINE[:3], ("build_samples", {"max_turns": max_turns})],
            rejects_path=rejects,
        )
        rejected_text = (
            "".join(json.loads(r)["text"] for r in rejects.read_text().splitlines())
            if rejects.exists()
            else ""
        )
    kept_text = ""
    for sample in sink.frame.to_dicts():
        sample_roles = roles(sample)
        assert sample_roles[0] == "user" and sample_roles[-1] == "assistant"
        assert all(a != b for a, b in itertools.pairwise(sample_roles))
        assert len(sample_roles) <= max_turns
        kept_text += "".join(m["content"] for m in sample["messages"])
    kept = re.findall(r"m-?\d+ ", kept_text)
    dropped = re.findall(r"m-?\d+ ", rejected_text)
    # Every message is in exactly one sample or in exactly one counted reject.
    assert sorted(kept + dropped) == sorted(f"m{i} " for i in range(-1, len(messages)))


def test_prompt_rows_become_the_system_turn_not_a_speaker():
    frame = chat(
        (None, "system", "You are terse.", "prompt"),
        (None, "user", "hi"),
        (None, "assistant", "hey"),
        (None, "user", "bye"),
        (None, "assistant", "ciao"),
    )
    result, sink = run_stages(
        [frame], [("clean_messages", {}), ("assign_roles", {"me": ["assistant"]}), *PIPELINE[2:]]
    )
    (sample,) = sink.frame.to_dicts()
    assert sample["messages"] == [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hey"},
        {"role": "user", "content": "bye"},
        {"role": "assistant", "content": "ciao"},
    ]
    assert result.report["stages"]["assign_roles"]["notes"] == {"system_prompts": 1}


def test_system_option_overrides_a_system_prompt_from_the_input():
    frame = chat(
        (None, "system", "from input", "prompt"), (None, "user", "hi"), (None, "assistant", "hey")
    )
    _, sink = run_stages(
        [frame],
        [
            ("clean_messages", {}),
            ("assign_roles", {"me": ["assistant"]}),
            ("sessionize", {}),
            ("build_samples", {"system": "from option"}),
        ],
    )
    assert sink.frame.to_dicts()[0]["messages"][0] == {"role": "system", "content": "from option"}
