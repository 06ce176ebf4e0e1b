from setuptools import find_packages, setup

PACKAGE = "insideout_perception"

setup(
    name=PACKAGE,
    version="0.1.0",
    packages=find_packages(exclude=["test"]),
    data_files=[
        ("share/ament_index/resource_index/packages", ["resource/" + PACKAGE]),
        ("share/" + PACKAGE, ["package.xml"]),
    ],
    install_requires=["setuptools"],
    zip_safe=True,
    maintainer="InsideOut maintainers",
    maintainer_email="maintainers@insideout-robotics.org",
    description="InsideOut perception: facial expression recognition (camera to EmotionState) and speech recognition with voice activity detection (microphone to Transcript).",
    license="Apache-2.0",
    entry_points={
        "console_scripts": [
            "fer_node = insideout_perception.nodes.fer_node:main",
            "asr_node = insideout_perception.nodes.asr_node:main",
        ],
    },
)
