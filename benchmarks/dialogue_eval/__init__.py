"""What eval_dialogue.py and the dialogue speed benchmarks need: utterances, reply checks,
scorer."""
