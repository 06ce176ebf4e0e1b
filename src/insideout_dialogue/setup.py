from setuptools import find_packages, setup

PACKAGE = "insideout_dialogue"

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
    description="InsideOut dialogue: four emotion-prompted LLM agents, emotion-aware aggregation, the Respond action, and text-to-speech out.",
    license="Apache-2.0",
    entry_points={
        "console_scripts": [
            "dialogue_node = insideout_dialogue.nodes.dialogue_node:main",
            "tts_node = insideout_dialogue.nodes.tts_node:main",
        ],
    },
)
