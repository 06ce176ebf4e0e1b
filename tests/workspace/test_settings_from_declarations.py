"""Each node builds its core's settings objects from its parameter declarations (issue 26): every
field of a node's SETTINGS_CLASSES (a dataclass's fields, or a class's keyword arguments) is filled
by the one ParamSpec whose `setting` names it ("<object>.<field>"), or is listed in the node's
ASSEMBLED (built by hand: a conversion, a part, or no parameter at all). A new field with neither,
a field filled twice, or a setting naming a field or object that does not exist fails here.

fer_node and web_view_node have no settings objects: their parameters go to a few constructors
positionally (fer_node's face_loss_timeout to two of them), so they are not listed."""

import dataclasses
import importlib
import inspect

import pytest

from insideout_common.ros.params import ParamSpec

# (module with SETTINGS_CLASSES and ASSEMBLED, module with the specs, the specs' attribute)
NODES = {
    "asr_node": (
        "insideout_perception.nodes.asr_node",
        "insideout_perception.nodes.asr_node",
        "PARAMETERS",
    ),
    "tts_node": (
        "insideout_dialogue.nodes.tts_node",
        "insideout_dialogue.nodes.tts_node",
        "PARAMETERS",
    ),
    "dialogue_node": (
        "insideout_dialogue.nodes.dialogue_setup",
        "insideout_dialogue.nodes.dialogue_parameters",
        "BASE_SPECS",
    ),
}


def settings_fields_of(cls) -> list[str]:
    """A dataclass's fields, or the keyword arguments a class or function takes."""
    if dataclasses.is_dataclass(cls):
        return [f.name for f in dataclasses.fields(cls)]
    return [
        name
        for name, parameter in inspect.signature(cls).parameters.items()
        if parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)
    ]


def settings_problems(specs, classes: dict, assembled: dict) -> list[str]:
    problems = []
    if set(assembled) != set(classes):
        problems.append(
            f"ASSEMBLED lists {sorted(assembled)}, SETTINGS_CLASSES {sorted(classes)}: the same"
            " objects expected"
        )
    for spec in specs:
        if spec.setting and (
            spec.setting.count(".") != 1 or spec.setting.split(".")[0] not in classes
        ):
            problems.append(f"{spec.name}: setting {spec.setting!r} names no settings object")
    for target, cls in classes.items():
        fields = settings_fields_of(cls)
        from_specs = [
            spec.setting.split(".", 1)[1]
            for spec in specs
            if spec.setting and spec.setting.split(".", 1)[0] == target
        ]
        by_hand = assembled.get(target, ())
        for name in fields:
            count = from_specs.count(name) + (name in by_hand)
            if count == 0:
                problems.append(
                    f"{cls.__name__}.{name}: no ParamSpec has setting='{target}.{name}' and it is"
                    " not in ASSEMBLED"
                )
            elif count > 1:
                problems.append(f"{cls.__name__}.{name}: filled more than once")
        for name in sorted(set(from_specs) - set(fields)):
            problems.append(f"setting='{target}.{name}': {cls.__name__} has no field {name}")
        for name in sorted(set(by_hand) - set(fields)):
            problems.append(f"ASSEMBLED[{target!r}]: {cls.__name__} has no field {name}")
    return problems


def _node(name):
    settings_module, specs_module, attribute = NODES[name]
    settings = importlib.import_module(settings_module)
    specs = getattr(importlib.import_module(specs_module), attribute)
    return settings, specs


@pytest.mark.parametrize("name", sorted(NODES))
def test_every_settings_field_is_filled_by_a_declaration_or_assembled(name):
    settings, specs = _node(name)
    problems = settings_problems(specs, settings.SETTINGS_CLASSES, settings.ASSEMBLED)
    assert not problems, f"{name}:\n" + "\n".join(problems)


def test_the_check_finds_a_missing_field_and_a_setting_naming_no_field():
    @dataclasses.dataclass
    class Settings:
        declared: int = 0
        forgotten: int = 0
        derived: int = 0

    specs = [
        ParamSpec("a", 1, "A.", setting="s.declared"),
        ParamSpec("b", 1, "B.", setting="s.no_such_field"),
        ParamSpec("c", 1, "C.", setting="elsewhere.declared"),
        ParamSpec("d", 1, "D.", setting="s.derived"),
    ]
    problems = settings_problems(specs, {"s": Settings}, {"s": ("derived",)})
    assert problems == [
        "c: setting 'elsewhere.declared' names no settings object",
        "Settings.forgotten: no ParamSpec has setting='s.forgotten' and it is not in ASSEMBLED",
        "Settings.derived: filled more than once",
        "setting='s.no_such_field': Settings has no field no_such_field",
    ]


def _defaults(specs, **changes):
    values = {spec.name: spec.default for spec in specs}
    values.update(changes)
    return values


def test_asr_settings_carry_the_parameter_values():
    asr_node, specs = _node("asr_node")
    p = _defaults(
        specs,
        vad_threshold=0.6,
        end_silence_s=0.4,
        stamped_audio=True,
        sample_rate=48000,
        channels=2,
        barge_in_stop_after_s=1.5,
        speculative_recognition=False,
        beam_size=3,
    )
    settings = asr_node.recognizer_settings(p)
    assert settings.segmenter.threshold == 0.6 and settings.segmenter.end_silence_s == 0.4
    assert settings.segmenter.speculate_after_s == 0.0
    assert settings.capture_stamps is True
    assert (settings.audio_format.sample_rate, settings.audio_format.channels) == (48000, 2)
    assert settings.barge_in_settings.stop_after_s == 1.5
    objects = {
        "segmenter": settings.segmenter,
        "audio_format": settings.audio_format,
        "barge_in": settings.barge_in_settings,
        "recognizer": settings,
        "backend": asr_node.BackendOptions(**asr_node.settings_from(p, "backend")),
    }
    assert objects["backend"].beam_size == 3
    for spec in specs:
        if spec.setting:
            target, field = spec.setting.split(".")
            assert getattr(objects[target], field) == p[spec.name], spec.name
    speculating = asr_node.recognizer_settings(_defaults(specs))
    assert speculating.segmenter.speculate_after_s is None


def test_asr_settings_refuse_what_the_core_refuses():
    asr_node, specs = _node("asr_node")
    with pytest.raises(ValueError, match="max_end_silence_s"):
        asr_node.recognizer_settings(_defaults(specs, end_silence_s=3.0, max_end_silence_s=1.0))


def test_tts_settings_carry_the_parameter_values():
    tts_node, specs = _node("tts_node")
    p = _defaults(
        specs,
        backend="espeak-ng",
        onnx_threads=3,
        chunk_duration=0.05,
        max_queued_replies=7,
        playback_lead=0.3,
    )
    backend = tts_node.BackendSettings(**tts_node.settings_from(p, "backend"))
    assert (backend.name, backend.threads) == ("espeak-ng", 3)
    output = tts_node.OutputFormat(**tts_node.settings_from(p, "output"))
    assert output.chunk_seconds == 0.05
    replies = tts_node.ReplyQueue(**tts_node.settings_from(p, "reply_queue"))
    assert (replies.max_replies, replies.max_chars) == (7, p["max_reply_chars"])
    assert tts_node.settings_from(p, "pipeline") == {
        "lead_seconds": 0.3,
        "max_sentence_chars": p["max_sentence_chars"],
        "first_piece_max_chars": p["first_piece_max_chars"],
    }
