"""The sample projects are targets for the tests, not tests of this repository."""

collect_ignore = ["samples"]
