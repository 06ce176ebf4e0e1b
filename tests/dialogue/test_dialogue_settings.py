"""The dialogue node's settings objects are built from the parameter declarations: every field of
TurnSettings, PromptSet, SchedulerSettings and ServerSettings is filled by the ParamSpec whose
`setting` names it, or is in dialogue_setup.ASSEMBLED. A new field with neither fails here."""

import dataclasses

from insideout_dialogue.nodes import dialogue_setup
from insideout_dialogue.nodes.dialogue_parameters import BASE_SPECS, DEFAULT_AGENTS, all_specs


def _filled_by_specs(target):
    return [
        spec.setting.split(".", 1)[1]
        for spec in BASE_SPECS
        if spec.setting and spec.setting.split(".", 1)[0] == target
    ]


def test_every_settings_field_is_filled_by_a_declaration_or_assembled():
    problems = []
    for target, cls in dialogue_setup.SETTINGS_CLASSES.items():
        fields = [f.name for f in dataclasses.fields(cls)]
        from_specs = _filled_by_specs(target)
        assembled = dialogue_setup.ASSEMBLED[target]
        for name in fields:
            count = from_specs.count(name) + (name in assembled)
            if count == 0:
                problems.append(
                    f"{cls.__name__}.{name}: no ParamSpec has setting='{target}.{name}' and it is"
                    " not in dialogue_setup.ASSEMBLED"
                )
            elif count > 1:
                problems.append(f"{cls.__name__}.{name}: filled more than once")
        for name in set(from_specs) - set(fields):
            problems.append(f"setting='{target}.{name}': {cls.__name__} has no field {name}")
    all_specs_list = list(all_specs(DEFAULT_AGENTS).values())
    for spec in all_specs_list:
        if spec.setting and spec.setting.split(".", 1)[0] not in dialogue_setup.SETTINGS_CLASSES:
            problems.append(f"{spec.name}: setting {spec.setting!r} names no settings object")
        if spec.setting and spec not in BASE_SPECS:
            problems.append(f"{spec.name}: only BASE_SPECS are read for settings")
    assert not problems, "\n".join(problems)


def _defaults(**changes):
    values = {name: spec.default for name, spec in all_specs(DEFAULT_AGENTS).items()}
    values.update(changes)
    return values


def test_the_settings_carry_the_parameter_values():
    changed = {
        "agents.max_words": 13,
        "reply.fallback": "Pardon?",
        "progress.interval": 0.5,
        "prompts.style": "paper",
        "prompts.paper.emotion_clause": " I am {user_emotion}.",
        "queue.max_pending": 3,
        "action.on_new_goal": "preempt",
        "local_llm.n_threads": 7,
        "local_llm.parallel": 0,
    }
    p = _defaults(**changed)
    turn = dialogue_setup.turn_settings(p, list(DEFAULT_AGENTS))
    assert turn.agents_max_words == 13 and turn.fallback_reply == "Pardon?"
    assert turn.progress_interval == 0.5
    assert (
        turn.prompts.style == "paper"
        and turn.prompts.paper_emotion_clause == " I am {user_emotion}."
    )
    assert [agent.name for agent in turn.agents] == list(DEFAULT_AGENTS)
    assert turn.emotion_to_agent["sadness"]["sadness"] == 0.5
    for spec in BASE_SPECS:
        if spec.setting and spec.setting.startswith("turn."):
            assert getattr(turn, spec.setting[5:]) == p[spec.name], spec.name
    scheduler = dialogue_setup.scheduler_settings(p)
    assert (scheduler.max_pending, scheduler.goal_policy) == (3, "preempt")
    server = dialogue_setup.server_settings(p, len(DEFAULT_AGENTS))
    assert (server.n_threads, server.n_parallel) == (7, len(DEFAULT_AGENTS) + 1)
    assert dialogue_setup.server_settings(_defaults(**{"local_llm.parallel": 2}), 4).n_parallel == 2
