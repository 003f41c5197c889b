"""The week as a whole: measured metrics, the success checklist, the weekly report, CI files."""
