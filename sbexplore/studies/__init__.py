"""Studies that compose runs, analysis and figures into an answer: the `demo`, the paper's
Table 1 (`reproduce`), the HTML `report`, and the label-error `detector_study` with its
`cleanlab_baseline`."""
