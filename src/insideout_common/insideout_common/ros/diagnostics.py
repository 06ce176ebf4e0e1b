"""Publish a node's health on /diagnostics (diagnostic_msgs), as diagnostic_updater would."""

from collections.abc import Callable

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.node import Node

from insideout_common.ros.params import ParamSpec

OK = DiagnosticStatus.OK
WARN = DiagnosticStatus.WARN
ERROR = DiagnosticStatus.ERROR

# Every node's one name for the reporting period, the name diagnostic_updater uses.
DIAGNOSTICS_PERIOD = ParamSpec(
    "diagnostic_updater.period",
    1.0,
    "Seconds between /diagnostics reports.",
    minimum=0.1,
    maximum=60.0,
)

# A report is (level, message, {key: value}).
Report = tuple[int, str, dict[str, object]]


class DiagnosticsPublisher:
    """Calls `report()` every `period` seconds (the node's DIAGNOSTICS_PERIOD parameter) and
    publishes it as one DiagnosticStatus."""

    def __init__(
        self,
        node: Node,
        report: Callable[[], Report],
        period: float = 1.0,
        hardware_id: str = "insideout",
    ):
        self._node = node
        self._report = report
        self._hardware_id = hardware_id
        self._name = f"{node.get_name()}: {node.get_fully_qualified_name()}"
        self._publisher = node.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self._timer = node.create_timer(period, self.publish)

    def publish(self) -> None:
        level, message, values = self._report()
        status = DiagnosticStatus(
            level=level,
            name=self._name,
            message=message,
            hardware_id=self._hardware_id,
            values=[KeyValue(key=str(k), value=str(v)) for k, v in values.items()],
        )
        array = DiagnosticArray(status=[status])
        array.header.stamp = self._node.get_clock().now().to_msg()
        self._publisher.publish(array)
