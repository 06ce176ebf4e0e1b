"""Accuracy metrics of one model on one data set; a face that was not found counts as wrong."""

from dataclasses import dataclass, field

from insideout_common.emotions import LABELS

NO_FACE = "no_face"


@dataclass
class Tally:
    truths: list[str] = field(default_factory=list)
    predictions: list[str | None] = field(default_factory=list)  # None: no face found

    def add(self, truth: str, prediction: str | None) -> None:
        self.truths.append(truth)
        self.predictions.append(prediction)

    @property
    def count(self) -> int:
        return len(self.truths)

    def accuracy(self) -> float:
        return (
            sum(t == p for t, p in zip(self.truths, self.predictions)) / self.count
            if self.count
            else 0.0
        )

    def face_found_rate(self) -> float:
        return sum(p is not None for p in self.predictions) / self.count if self.count else 0.0

    def recall(self) -> dict[str, float]:
        """Per class present in the truths: the share of its images predicted as it."""
        result = {}
        for label in LABELS:
            hits = [p == label for t, p in zip(self.truths, self.predictions) if t == label]
            if hits:
                result[label] = sum(hits) / len(hits)
        return result

    def balanced_accuracy(self) -> float:
        recall = self.recall()
        return sum(recall.values()) / len(recall) if recall else 0.0

    def confusion(self) -> dict[str, dict[str, int]]:
        """truth -> predicted label (or 'no_face') -> count, for the classes present."""
        matrix = {
            label: {column: 0 for column in (*LABELS, NO_FACE)}
            for label in LABELS
            if label in self.truths
        }
        for truth, prediction in zip(self.truths, self.predictions):
            matrix[truth][prediction or NO_FACE] += 1
        return matrix

    def summary(self) -> dict:
        return {
            "images": self.count,
            "accuracy": self.accuracy(),
            "balanced_accuracy": self.balanced_accuracy(),
            "face_found_rate": self.face_found_rate(),
            "recall": self.recall(),
            "confusion": self.confusion(),
        }
