"""ament_python build entry point; the package is described in setup.cfg."""

from setuptools import setup

setup()
