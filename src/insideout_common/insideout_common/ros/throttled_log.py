"""A node logger's warnings and errors through the shared WarningThrottle."""

from insideout_common.warning_throttle import WARNING_PERIOD_S, WarningThrottle


class ThrottledLog:
    def __init__(self, logger, period: float = WARNING_PERIOD_S):
        self._logger = logger
        self._throttle = WarningThrottle(period)
        self.last_message = ""  # for diagnostics: the latest problem, logged or held back

    # rclpy fixes a logging call site's severity on first use: one call site per severity.
    def warning(self, message: str, kind: str = "", period: float | None = None) -> None:
        text = self._filter(message, kind, period)
        if text is not None:
            self._logger.warning(text)

    def error(self, message: str, kind: str = "", period: float | None = None) -> None:
        text = self._filter(message, kind, period)
        if text is not None:
            self._logger.error(text)

    def _filter(self, message, kind, period):
        self.last_message = message
        return self._throttle.filter(kind, message, period)
