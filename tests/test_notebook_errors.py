"""A user mistake in a notebook cell shows sbexplore's message alone; other errors keep their
traceback; either way the cell fails (Run All stops there)."""

from __future__ import annotations


def test_a_user_error_shows_its_message_without_a_traceback(tmp_path, run_notebook):
    nb = run_notebook.execute_cells("import sbexplore", "sbexplore.RunConfig(beta=-1)",
                                    "print('Run All stopped above?')", "1 / 0", cwd=tmp_path,
                                    allow_errors=True)
    bad = nb.cells[1].outputs
    assert [o["output_type"] for o in bad] == ["error"] and bad[0]["ename"] == "ConfigError"
    shown = "\n".join(bad[0]["traceback"])
    assert "ConfigError" in shown and "beta=-1.0 is not allowed" in shown
    assert "Traceback" not in shown and "sbexplore/" not in shown and "%tb" in shown
    assert nb.cells[2].outputs[0]["text"].startswith("Run All")  # allow_errors ran on
    # an error that is not a user mistake keeps IPython's full traceback
    other = nb.cells[3].outputs[0]
    assert other["ename"] == "ZeroDivisionError" and len(other["traceback"]) > 1


def test_importing_sbexplore_outside_ipython_installs_nothing():
    from sbexplore.errors import install_notebook_handler

    assert install_notebook_handler() is False
