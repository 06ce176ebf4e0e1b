"""The leading_voice strategy without ROS, against the FAKE OpenAI-compatible server: the
best-fitting agent speaks first, the aggregator continues from its words."""

import asyncio
import dataclasses

from support.fake_openai_server import Behavior, FakeOpenAIServer

from insideout_dialogue.core import dialogue_turn
from insideout_dialogue.core.agent_config import AgentConfig, EndpointConfig
from insideout_dialogue.core.aggregation_strategies import leading_voice
from insideout_dialogue.core.emotion_weights import DEFAULT_EMOTION_TO_AGENT, parse_mapping_row
from insideout_dialogue.core.llm_client import LlmClient
from insideout_dialogue.core.prompts import (
    CONTINUATION_NOTE,
    PromptSet,
    UserEmotion,
    default_agent_prompt,
    first_reaction_prompt,
)

AGENTS = ["happiness", "sadness", "fear", "anger"]
MAPPING = {label: parse_mapping_row(row) for label, row in DEFAULT_EMOTION_TO_AGENT.items()}
TEXTS = {
    "happiness": "Wonderful, you passed your exam!",
    "sadness": "Sigh, exams are so hard on everyone.",
    "fear": "What if the next one is harder?",
    "anger": "It is unfair how stressful exams are.",
}


def leading_turn(
    aggregate="Now you can relax and celebrate tonight.",
    agent_behaviors=None,
    scores=None,
    aggregator_behavior=None,
    aggregator_slot=-1,
    max_words=0,
):
    """One leading_voice turn; returns (result, spoken sentences, the fake server's requests)."""
    behaviors = {f"agent-{a}": Behavior(text=TEXTS[a]) for a in AGENTS}
    behaviors.update(agent_behaviors or {})
    behaviors["aggregator"] = aggregator_behavior or Behavior(text=aggregate)
    with FakeOpenAIServer(behaviors) as fake:

        def endpoint(model):
            return EndpointConfig(base_url=fake.base_url, model=model, timeout=5.0, max_tokens=40)

        settings = dialogue_turn.TurnSettings(
            agents=[
                AgentConfig(a, endpoint(f"agent-{a}"), default_agent_prompt(a), a) for a in AGENTS
            ],
            aggregator=dataclasses.replace(endpoint("aggregator"), server_slot=aggregator_slot),
            prompts=PromptSet(),
            strategy="leading_voice",
            emotion_to_agent=MAPPING,
            fallback_reply="Sorry, say that again?",
            first_clause_min_words=6,
            reply_min_words=3,
            reply_max_words=max_words,
        )
        spoken = []
        result = dialogue_turn.TurnResult(
            user_text="I passed my exam!", emotion=UserEmotion("happiness", 0.9)
        )
        asyncio.run(
            dialogue_turn.run_turn(
                LlmClient(),
                settings,
                result,
                scores or {"happiness": 1.0},
                (),
                dialogue_turn.TurnHooks(on_sentence=spoken.append),
            )
        )
        return result, spoken, list(fake.requests)


def leader_saying(text):
    """A turn whose leader (happiness) answers `text`, with an aggregate to fall back on."""
    return leading_turn(
        agent_behaviors={"agent-happiness": Behavior(text=text)},
        aggregate="Well done, enjoy the moment.",
    )


def test_the_best_fitting_agent_is_spoken_first_and_the_aggregator_continues_from_it():
    result, spoken, requests = leading_turn()
    assert result.success and spoken == [
        TEXTS["happiness"],
        "Now you can relax and celebrate tonight.",
    ]
    assert result.reply == " ".join(spoken)
    assert result.reply_source == "the happiness agent, then the aggregator"
    leader = next(r for r in requests if r.model == "agent-happiness")
    others = [r for r in requests if r.model.startswith("agent-") and r is not leader]
    # The leader answers alone; the others once its sentence is written.
    assert len(others) == 3 and all(r.started >= leader.finished - 0.05 for r in others)
    aggregator = next(r for r in requests if r.model == "aggregator")
    # The leader's words are the start of the aggregator's own turn; its thoughts are the others'.
    assert aggregator.messages[-1] == {"role": "assistant", "content": TEXTS["happiness"]}
    system = aggregator.messages[0]["content"]
    assert system.endswith(CONTINUATION_NOTE.strip()) or CONTINUATION_NOTE in system
    assert TEXTS["happiness"] not in system and all(TEXTS[a] in system for a in AGENTS[1:])
    assert (
        0 < result.first_sentence_latency < result.aggregator_first_token_latency < result.latency
    )


def test_the_leader_is_the_agent_the_users_emotion_weighs_most():
    result, spoken, _ = leading_turn(scores={"sadness": 1.0})
    assert spoken[0] == TEXTS["sadness"] and result.reply_source.startswith("the sadness agent")
    assert leading_voice.leader_index([0.25, 0.25, 0.25, 0.25]) is None  # no feeling leads
    assert leading_voice.leader_index([0.3, 0.28, 0.22, 0.2]) is None  # within a weight step
    assert leading_voice.leader_index([0.1, 0.5, 0.3, 0.1]) == 1


def test_when_no_feeling_leads_the_robots_own_first_reaction_is_spoken_first():
    result, spoken, requests = leading_turn(
        scores={"neutral": 1.0},
        aggregator_behavior=Behavior(
            text="Congratulations on passing!", later_text="Now take a well earned rest."
        ),
    )
    assert spoken == ["Congratulations on passing!", "Now take a well earned rest."]
    assert result.reply_source == "the robot's own first reaction, then the aggregator"
    first, continuation = [r for r in requests if r.model == "aggregator"]
    assert first.messages[0]["content"] == first_reaction_prompt(UserEmotion("happiness", 0.9))
    assert first.max_tokens == 40  # an agent's limit: one sentence
    agents = [r for r in requests if r.model.startswith("agent-")]
    assert len(agents) == 4 and all(r.started >= first.finished - 0.05 for r in agents)
    assert continuation.messages[-1]["content"] == "Congratulations on passing!"
    assert all(TEXTS[a] in continuation.messages[0]["content"] for a in AGENTS)
    assert len(result.answers) == 4 and all(a.ok for a in result.answers)


def test_a_continuation_that_repeats_the_leader_is_not_spoken_twice():
    # llama-server streams a continued message from its start; others repeat a sentence.
    _, spoken, _ = leading_turn(aggregate=f"{TEXTS['happiness']} Take the evening off.")
    assert spoken == [TEXTS["happiness"], "Take the evening off."]
    _, spoken, _ = leading_turn(
        aggregator_behavior=Behavior(
            text=f"{TEXTS['happiness']} Take the evening off.", tokens_per_second=300
        )
    )
    assert spoken == [TEXTS["happiness"], "Take the evening off."]


def test_the_echoed_prefix_is_removed_whatever_the_pieces():
    echo = leading_voice.EchoedPrefix("Oh wow, well done!")
    pieces = ["Oh", " wow,", " well", " done!", " Rest", " now."]
    assert "".join(echo.strip(p) for p in pieces).strip() == "Rest now."
    echo = leading_voice.EchoedPrefix("Oh wow, well done!")
    assert "".join(echo.strip(p) for p in [" Rest", " now."]) == " Rest now."
    echo = leading_voice.EchoedPrefix("Oh wow, well done!")
    assert "".join(echo.strip(p) for p in ["Oh", " wow,", " great"]) == "Oh wow, great"


def test_a_failed_leader_falls_back_to_the_weighted_aggregate():
    result, spoken, requests = leading_turn(
        agent_behaviors={"agent-happiness": Behavior(kind="http500")},
        aggregate="Well done, enjoy the moment.",
    )
    assert result.success and spoken == ["Well done, enjoy the moment."]
    assert "the leading happiness agent was not spoken" in result.reply_source
    aggregator = next(r for r in requests if r.model == "aggregator")
    assert aggregator.messages[-1]["role"] == "user"  # an ordinary aggregate, not a continuation


def test_a_leader_that_leaks_the_prompt_is_not_spoken():
    result, spoken, _ = leader_saying("As the happiness agent, I love it!")
    assert spoken == ["Well done, enjoy the moment."]
    assert "the leading happiness agent was not spoken" in result.reply_source


def test_when_the_aggregator_fails_after_the_leader_spoke_the_leader_is_the_reply():
    result, spoken, _ = leading_turn(aggregator_behavior=Behavior(kind="http500"))
    assert result.success and spoken == [TEXTS["happiness"]]
    assert result.reply_source.startswith("the happiness agent alone: the aggregator failed")


def test_a_long_leader_sentence_is_spoken_from_its_first_clause():
    long = (
        "Oh wow, that is absolutely wonderful news, and you should be so proud of yourself today."
    )
    _, spoken, _ = leading_turn(
        agent_behaviors={"agent-happiness": Behavior(text=long, tokens_per_second=200)}
    )
    assert spoken[0] == "Oh wow, that is absolutely wonderful news,"
    assert spoken[1] == "and you should be so proud of yourself today."


def test_a_leader_with_a_stock_refusal_is_not_spoken_and_not_blended():
    result, spoken, requests = leader_saying("I'm sorry, but I can't assist with that.")
    assert spoken == ["Well done, enjoy the moment."]
    assert "was not spoken: a stock refusal" in result.reply_source
    assert not result.answers[0].ok and result.answers[0].error.startswith("a stock refusal")
    aggregator = next(r for r in requests if r.model == "aggregator")
    assert "can't assist" not in aggregator.messages[0]["content"]


def test_a_leader_that_says_the_users_own_words_is_not_spoken():
    result, spoken, _ = leader_saying("Oh wow. I passed my exam!")
    # "Oh wow." went out before the user's words came; the aggregator goes on from it.
    assert spoken == ["Oh wow.", "Well done, enjoy the moment."]
    assert not result.answers[0].ok and "the user's own words" in result.answers[0].error


def test_another_agents_refusal_is_not_blended():
    result, spoken, requests = leading_turn(
        agent_behaviors={"agent-anger": Behavior(text="I'm sorry, but I can't assist with that.")}
    )
    assert spoken == [TEXTS["happiness"], "Now you can relax and celebrate tonight."]
    assert not result.answers[3].ok and result.answers[3].error.startswith("a stock refusal")
    aggregator = next(r for r in requests if r.model == "aggregator")
    assert "can't assist" not in aggregator.messages[0]["content"]
    assert result.answers[0].ok and result.answers[0].error == ""  # the leader's, whole


def test_a_continuation_that_adds_nothing_is_asked_once_more_past_the_end_of_text():
    # On the embedded server (a pinned slot) the aggregator is asked again with ignore_eos; the
    # second answer streams the leader's words back too, then goes on.
    leader = TEXTS["happiness"]
    behavior = Behavior(
        text=leader, later_text=f"{leader} Take the whole evening off now. And more."
    )
    result, spoken, requests = leading_turn(aggregator_behavior=behavior, aggregator_slot=4)
    assert spoken == [leader, "Take the whole evening off now."]  # one sentence, then stopped
    first, again = [r for r in requests if r.model == "aggregator"]
    assert not first.ignore_eos and again.ignore_eos and again.id_slot == 4
    assert again.messages == first.messages
    # Other servers have no such field: the leader's words stay the reply.
    result, spoken, requests = leading_turn(aggregator_behavior=Behavior(text=leader))
    assert spoken == [leader] and len([r for r in requests if r.model == "aggregator"]) == 1


def test_a_continuation_that_turns_into_a_refusal_is_not_spoken():
    leader = TEXTS["happiness"]
    result, spoken, _ = leading_turn(
        aggregate=f"{leader} I can't help you with that right now. Ask me later."
    )
    assert spoken == [leader] and result.success


def test_a_continuation_ends_with_the_last_whole_sentence_within_the_reply_word_limit():
    # A small model's aggregate ran on into a list of advice (70 words, eval_dialogue 35f747a).
    advice = (
        "You could go out for a nice dinner with your friends tonight. "
        "Or stay home, rest well and watch your favourite film. "
        "You might also call your family to tell them the news. "
        "Finally, plan something fun for the weekend ahead."
    )
    result, spoken, requests = leading_turn(
        aggregator_behavior=Behavior(text=advice, tokens_per_second=60), max_words=30
    )
    assert spoken == [
        TEXTS["happiness"],
        "You could go out for a nice dinner with your friends tonight.",
        "Or stay home, rest well and watch your favourite film.",
    ]
    assert len(result.reply.split()) <= 30 and result.success
    aggregator = next(r for r in requests if r.model == "aggregator")
    assert aggregator.client_disconnected  # the rest was not asked for


def test_a_continuation_that_reads_back_its_note_is_not_spoken():
    # "I'm so angry about the unfair treatment! You have begun your answer already; go on ..."
    # was spoken (eval_dialogue, 0f6a5f1).
    result, spoken, _ = leading_turn(aggregate=CONTINUATION_NOTE.strip())
    assert spoken == [TEXTS["happiness"]] and result.success
    assert not any("begun your answer" in sentence for sentence in spoken)


def test_a_continuation_cut_before_a_refused_sentence_still_names_the_leader_as_its_source():
    # The default-LLM test saw "aggregator, cut before a sentence with a recital of the
    # continuation note" for a reply the happiness agent began (a Kilted soak run, 0f755f1).
    result, spoken, _ = leading_turn(
        aggregate="Enjoy tonight with your friends. " + CONTINUATION_NOTE.strip()
    )
    assert spoken == [TEXTS["happiness"], "Enjoy tonight with your friends."]
    assert result.reply_source.startswith(
        "the happiness agent, then the aggregator, cut before a sentence with a recital of the "
        "continuation note"
    ), result.reply_source
