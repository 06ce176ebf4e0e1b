"""Answers that are no thought of the agent's own: stock refusals and the user's own words."""

from insideout_dialogue.core.answer_faults import refusal, repeated_words


def test_stock_refusals_are_found_and_feelings_are_not():
    for text in [
        "I'm sorry, but I can't assist with that.",
        "Oh no, I can't help you with that.",
        "Sorry, but I cannot provide that.",
        "As an AI, I have no feelings.",
        "I'm unable to help with that.",
        "I'm sorry, but I can't engage in conversations about political matters.",
        "I can't help you with that right now.",
        # A help desk's request for context (eval_dialogue, 35f747a).
        "I'm sorry, but I don't have any information about what you said.",
        "I'm sorry, but I'm not sure what you're looking for.",
        "Can you provide more information or context?",
        "Could you please clarify your question?",
    ]:
        assert refusal(text), text
    for text in [
        "I can't help feeling sad about it.",
        "Oh no, I can't help but think of it.",
        "I can't believe you passed!",
        "I can't wait to celebrate with you.",
        "I'm sorry, but I think it is fine.",
        "I'm sorry, but I don't think that's fair to you!",
        "I'm not sure what to say, that is so sad.",
        "",
    ]:
        assert refusal(text) == "", text


def test_the_users_own_words_are_found_in_a_run_of_six_or_the_whole_utterance():
    assert (
        repeated_words(
            "Oh no! My dog died last week and I can't stop crying.",
            "My dog died last week and I can't stop crying.",
        )
        == "my dog died last week and i can't stop crying"
    )
    assert repeated_words(
        "The low robot, I passed my exam today.",
        "The low robot, I passed my exam today. What should I do?",
    )
    assert repeated_words("Wow! I passed my exam!", "I passed my exam!") == "i passed my exam"
    # A reply naturally shares a few words with what it answers.
    assert (
        repeated_words("I'm sorry to hear about your exam failure.", "I failed my exam today.")
        == ""
    )
    assert (
        repeated_words(
            "What should I do tonight? Go dancing!", "What should I do tonight to celebrate?"
        )
        == ""
    )
    assert repeated_words("Hello there!", "Hi there!") == ""
