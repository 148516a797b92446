"""Runs as jobs: one in a background thread (`background.start`), many as a sweep
(`sweeps.sweep`, locally, in processes or on Ray), each through `task.run_one`."""
