"""fer_node's REP-155 (ROS4HRI) faces over DDS, read back with hri_msgs types: the tracked list and
the per-face topics come and go with the faces, two of them at a time."""

import time

import numpy as np
from support.ros_harness import wait_until

from hri_msgs.msg import Expression, IdsList, NormalizedRegionOfInterest2D

from .fer_test_images import astronaut_bgr, grace_hopper_bgr, in_frame
from .test_fer_node import StampClock, cameras, raw_image, start_fer  # noqa: F401 (cameras: fixture)


def two_people():
    """The astronaut (smiling; her face about 85 px, the larger: attended) on the left, Grace
    Hopper (about 66 px) on the right."""
    frame = in_frame(astronaut_bgr(), left=0, photo_size=(420, 420))
    frame[:, 450:] = grace_only()[:, 450:]
    return frame


def grace_only():
    return in_frame(grace_hopper_bgr(), left=460, top=180, photo_size=(170, 200))


def stream(camera, frame, clock, until, timeout=15.0):
    """Send `frame` at about 10/s until `until()` is true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        camera.publish(raw_image(frame, "bgr8", clock.next()))
        if until():
            return True
        time.sleep(0.1)
    return False


def latest(collector):
    messages = collector.snapshot()
    return messages[-1] if messages else None


def test_two_faces_come_and_go_as_rep155_ids_with_their_roi_and_expression(
    ros,
    spawn_node,
    cameras,  # noqa: F811 (the fixture imported above, as pytest passes it)
):
    tracked = ros.collect(IdsList, "/humans/faces/tracked")
    node, emotions, camera = start_fer(ros, spawn_node, cameras, face_loss_timeout=0.5)
    clock = StampClock()

    assert stream(
        camera, two_people(), clock, lambda: (m := latest(tracked)) is not None and len(m.ids) == 2
    ), (tracked.snapshot()[-3:], node.output())
    ids = list(latest(tracked).ids)
    state = emotions.wait_for(lambda m: m.face_detected and m.face_id, 5)
    attended = state.face_id
    other = next(i for i in ids if i != attended)
    assert attended in ids and state.track_id > 0 and attended.endswith(str(state.track_id))
    assert all(i[0].isalpha() for i in ids)

    rois = {
        face: ros.collect(NormalizedRegionOfInterest2D, f"/humans/faces/{face}/roi") for face in ids
    }
    expression = ros.collect(Expression, f"/humans/faces/{attended}/expression")
    assert stream(
        camera,
        two_people(),
        clock,
        lambda: expression.snapshot() and all(r.snapshot() for r in rois.values()),
    ), node.output()
    smile = latest(expression)
    assert (
        smile.expression == Expression.HAPPY
        and smile.valence > 0.3
        and 0.5 < smile.confidence <= 1.0
    )
    left, right = latest(rois[attended]), latest(rois[other])
    assert 0.0 <= left.xmin < left.xmax < 0.5 < right.xmin < right.xmax <= 1.0, (left, right)
    assert 0.0 <= left.ymin < left.ymax <= 1.0 and 0.0 < left.c <= 1.0
    assert left.header.frame_id == "head_camera_optical_frame"
    # The other face is classified too (rep155_all_faces), smoothed on its own.
    others = ros.collect(Expression, f"/humans/faces/{other}/expression")
    assert stream(camera, two_people(), clock, lambda: others.snapshot()), node.output()
    assert latest(others).expression != Expression.HAPPY and 0.0 < latest(others).confidence <= 1.0

    # The astronaut leaves. Past face_loss_timeout her id goes, with its topics; Grace stays,
    # keeps her id and is attended now.
    assert stream(camera, grace_only(), clock, lambda: list(latest(tracked).ids) == [other]), (
        tracked.snapshot()[-3:],
        node.output(),
    )
    assert wait_until(lambda: ros.node.count_publishers(f"/humans/faces/{attended}/roi") == 0, 10)
    assert ros.node.count_publishers(f"/humans/faces/{attended}/expression") == 0
    assert ros.node.count_publishers(f"/humans/faces/{other}/roi") == 1
    assert stream(
        camera,
        grace_only(),
        clock,
        lambda: (m := latest(emotions)) is not None and m.face_id == other,
    ), node.output()

    # Another node publishing the tracked list (a REP-155 face detector) gets a warning.
    ros.publisher(IdsList, "/humans/faces/tracked")
    assert stream(
        camera,
        grace_only(),
        clock,
        lambda: "another node also publishes humans/faces/tracked" in node.output(),
        timeout=15,
    ), node.output()

    # No frames at all: after the timeout the list is empty and no per-face topic is left.
    assert tracked.wait_for(lambda m: list(m.ids) == [], 10) is not None, node.output()
    assert wait_until(
        lambda: (
            not [
                name
                for name, _ in ros.node.get_topic_names_and_types()
                if name.startswith("/humans/faces/f") and ros.node.count_publishers(name) > 0
            ]
        ),
        10,
    )
    assert node.running()


def test_with_rep155_all_faces_off_only_the_attended_face_is_classified(ros, spawn_node, cameras):  # noqa: F811
    tracked = ros.collect(IdsList, "/humans/faces/tracked")
    node, emotions, camera = start_fer(ros, spawn_node, cameras, rep155_all_faces=False)
    clock = StampClock()
    assert stream(
        camera, two_people(), clock, lambda: (m := latest(tracked)) is not None and len(m.ids) == 2
    ), node.output()
    attended = emotions.wait_for(lambda m: m.face_id, 5).face_id
    other = next(i for i in latest(tracked).ids if i != attended)
    mine = ros.collect(Expression, f"/humans/faces/{attended}/expression")
    others = ros.collect(Expression, f"/humans/faces/{other}/expression")
    others_roi = ros.collect(NormalizedRegionOfInterest2D, f"/humans/faces/{other}/roi")
    assert wait_until(
        lambda: ros.node.count_publishers(f"/humans/faces/{other}/expression") == 1, 10
    )
    # The other face's roi arriving, on a subscription made with `others` to a publisher made
    # with its expression's, shows this test is connected to that face: the silence is real.
    assert stream(
        camera,
        two_people(),
        clock,
        lambda: len(mine.snapshot()) >= 5 and len(others_roi.snapshot()) >= 5,
    ), node.output()
    assert others.snapshot() == []


def test_with_rep155_off_nothing_changes(ros, spawn_node, cameras):  # noqa: F811
    node, emotions, camera = start_fer(ros, spawn_node, cameras, rep155=False)
    clock = StampClock()
    assert stream(
        camera, two_people(), clock, lambda: emotions.wait_for(lambda m: m.face_detected, 0.05)
    ), node.output()
    assert emotions.wait_for(lambda m: m.face_detected).face_id == ""
    topics = [
        name for name, _ in ros.node.get_topic_names_and_types() if name.startswith("/humans")
    ]
    assert topics == [] and node.running(), topics


def test_the_two_people_frame_shows_two_faces():
    # Guards the DDS test above: both photos must be found by the node's detector.
    import cv2

    from insideout_perception.core.face_detection import create_face_detector
    from insideout_perception.nodes.fer_node import PARAMETERS

    default = next(p.default for p in PARAMETERS if p.name == "face_detector")
    detector = create_face_detector(default)
    frame = cv2.cvtColor(two_people(), cv2.COLOR_BGR2RGB)
    try:  # a chain's second detector looks at once, and adds the faces the first missed
        faces = detector.detect(frame)
    finally:
        detector.close()
    left, right = sorted(faces, key=lambda face: face.centre[0])
    assert len(faces) == 2 and left.centre[0] < 320 < right.centre[0], faces
    assert left.area > 1.3 * right.area, faces  # the astronaut is the one attended


def face_crop_128(photo):
    """A face the way hri_face_detect publishes it on /cropped: the face box scaled into 128x128,
    centred, zero-padded, bgr8."""
    import cv2

    from .fer_test_images import haar_face_box

    x, y, w, h = haar_face_box(photo)
    face = photo[y : y + h, x : x + w]
    scale = 128 / max(w, h)
    face = cv2.resize(face, (max(int(w * scale), 1), max(int(h * scale), 1)))
    out = np.zeros((128, 128, 3), np.uint8)
    top, left = (128 - face.shape[0]) // 2, (128 - face.shape[1]) // 2
    out[top : top + face.shape[0], left : left + face.shape[1]] = face
    return out


def test_ros4hri_face_images_drive_fer_node_with_the_detectors_ids(ros, spawn_node):
    """face_source ros4hri: hri_face_detect's topics (here published by the test) in, our emotion
    and REP-155 expressions out under the detector's ids; the detector's list stays its own."""
    from sensor_msgs.msg import Image

    from insideout_msgs.msg import EmotionState

    tracked = ros.publisher(IdsList, "/humans/faces/tracked")
    rois = {
        face: ros.publisher(NormalizedRegionOfInterest2D, f"/humans/faces/{face}/roi")
        for face in ("hriface2", "hriface1")
    }
    crops = {
        face: ros.publisher(Image, f"/humans/faces/{face}/cropped")
        for face in ("hriface2", "hriface1")
    }
    emotions = ros.collect(EmotionState, "/insideout/emotion")
    node = spawn_node("insideout_perception", "fer_node", params={"face_source": "ros4hri"})
    assert node.wait_for_output("listening on", 60), node.output()
    expressions = {
        face: ros.collect(Expression, f"/humans/faces/{face}/expression") for face in rois
    }
    pictures = {
        "hriface2": face_crop_128(astronaut_bgr()),
        "hriface1": face_crop_128(grace_hopper_bgr()),
    }
    regions = {"hriface2": (0.1, 0.1, 0.5, 0.6), "hriface1": (0.6, 0.2, 0.8, 0.45)}  # 2 is larger
    clock = StampClock()

    def detector_frame(ids):
        sec, nanosec = clock.next()
        msg = IdsList(ids=ids)
        msg.header.stamp.sec, msg.header.stamp.nanosec = sec, nanosec
        tracked.publish(msg)
        for face in ids:
            xmin, ymin, xmax, ymax = regions[face]
            roi = NormalizedRegionOfInterest2D(xmin=xmin, ymin=ymin, xmax=xmax, ymax=ymax, c=0.9)
            roi.header = msg.header
            rois[face].publish(roi)
            image = raw_image(pictures[face], "bgr8", (sec, nanosec))
            crops[face].publish(image)

    def attending(face):
        return lambda: (m := latest(emotions)) is not None and m.face_detected and m.face_id == face

    def run(ids, until, timeout=20.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not until():
            detector_frame(ids)
            time.sleep(0.1)
        return until()

    # Ids that cannot name a topic are dropped with a warning (a subscription to them would throw).
    assert ros.wait_for_subscribers(tracked), node.output()
    tracked.publish(IdsList(ids=["9bad", "a/b"]))
    assert node.wait_for_output("ignored face ids that cannot name a topic", 10), node.output()

    assert run(["hriface2", "hriface1"], attending("hriface2")), (
        emotions.snapshot()[-2:],
        node.output(),
    )
    state = latest(emotions)
    assert state.dominant_label == "happiness" and state.track_id > 0, state
    assert (state.face_roi.width, state.face_roi.height) == (
        0,
        0,
    )  # the region is the detector's topic
    assert run(["hriface2", "hriface1"], lambda: expressions["hriface2"].snapshot()), node.output()
    assert latest(expressions["hriface2"]).expression == Expression.HAPPY
    assert ros.node.count_publishers("/humans/faces/tracked") == 1  # the detector's only
    assert ros.node.count_publishers("/humans/faces/hriface2/roi") == 1  # ditto
    first_track = state.track_id

    # The attended face leaves the detector's list: attention goes to the other one, a new track.
    assert run(["hriface1"], attending("hriface1")), (emotions.snapshot()[-2:], node.output())
    assert latest(emotions).track_id != first_track
    assert run(["hriface1"], lambda: expressions["hriface1"].snapshot()), node.output()
    assert wait_until(
        lambda: ros.node.count_publishers("/humans/faces/hriface2/expression") == 0, 10
    )

    # Paused and active again, it attends afresh to what the detector tracks.
    from lifecycle_msgs.msg import Transition
    from support.lifecycle_client import Lifecycle

    lifecycle = Lifecycle(ros, "fer_node")
    assert lifecycle.wait_for_services(10.0)
    assert lifecycle.transition(Transition.TRANSITION_DEACTIVATE)
    count = len(emotions.snapshot())
    assert lifecycle.transition(Transition.TRANSITION_ACTIVATE)
    assert run(
        ["hriface1"], lambda: any(m.face_id == "hriface1" for m in emotions.snapshot()[count:])
    ), node.output()
    assert node.running()
