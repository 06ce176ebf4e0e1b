"""What a kiosk or home robot hears: 32 utterances in six kinds, asked under five user emotions."""

UTTERANCES = {
    "greeting": [
        "Hi there!",
        "Good morning, robot.",
        "Hello, nice to meet you.",
        "Hey, how are you today?",
        "Good evening, I'm back home.",
    ],
    "good news": [
        "I just got the job I interviewed for!",
        "My daughter took her first steps today.",
        "I passed my driving test.",
        "We are going on holiday to the sea next week.",
        "My best friend is coming to visit tomorrow.",
    ],
    "bad news": [
        "My dog died this morning.",
        "I failed my exam.",
        "I lost my wallet on the train.",
        "My flight was cancelled.",
        "The doctor said I need surgery.",
        "I don't know anyone in this city.",
    ],
    "request": [
        "Can you remind me to take my pills at eight?",
        "Please tell me a short joke.",
        "Can you help me find the exit?",
        "Could you turn the music down?",
        "Tell me something to cheer me up.",
    ],
    "complaint": [
        "This coffee machine ate my money again.",
        "The queue here is far too long.",
        "Nobody listens to me at work.",
        "My neighbours were loud all night.",
        "You gave me the wrong directions earlier.",
        "I'm scared of the storm tonight.",
    ],
    "question of fact": [
        "What is the capital of France?",
        "How many days are in a leap year?",
        "What time does the museum close?",
        "Is it going to rain today?",
        "How far is the moon from the Earth?",
    ],
}

USER_EMOTIONS = ("happiness", "sadness", "anger", "fear", "neutral")


def all_utterances():
    """[(kind, text)] in a fixed order."""
    return [(kind, text) for kind, texts in UTTERANCES.items() for text in texts]
