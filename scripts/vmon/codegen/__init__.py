"""Build inputs turned into C by the firmware build itself.

These modules run inside ``west build`` with whatever Python the Zephyr environment has, so
they import only the standard library (plus PyYAML and pyelftools, which Zephyr's own
requirements install) and ``vmon.dsp.spec``; a test runs them in such an environment.
"""
