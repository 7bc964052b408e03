"""The `tfseg` command line: one absl-flags program per command."""
