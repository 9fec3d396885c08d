"""The subcommands: name -> (module in this package, one-line help shown by `iopctl --help`).

Each module defines `command`, a Click command. Keeping the help text here
lets `iopctl --help` list commands without importing them.
"""

COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("validate", "Check records against the schemas and clinical rules."),
    "schema": ("schema", "Print the JSON Schema of a record kind."),
    "calendar": ("calendar", "Session calendar of a participant, or of the program with rosters (table, csv, json, ics)."),
    "progress": ("progress", "Progress of one participant, or the caseload: attendance, hours, scores, due dates."),
    "init": ("init", "Create a records repository: program.yaml, folders, git, pre-commit, CI, editor schemas."),
    "new": ("new", "Create a new participant's profile, plan and progress from commented skeletons."),
    "attend": ("attend", "Record a session's attendance (writes the session file)."),
    "assess": ("assess", "Add an assessment score (PHQ-9, GAD-7, ...) to a participant's progress."),
    "update": ("update", "Record an objective's new status in a participant's progress."),
    "review": ("review", "Record a plan review in a participant's plan."),
    "discharge": ("discharge", "Record a participant's discharge: status, date and reason."),
    "history": ("history", "Commits that changed a participant's records, in clinical terms."),
    "diff": ("diff", "Records compared between two revisions, in clinical terms (text, md, json)."),
    "plan-as-of": ("plan_as_of", "A participant's plan as it stood on a date, from git."),
    "handout": ("handout", "Aftercare or welcome handout for a participant, in their language (md, html, txt)."),
    "export": ("export", "Export the caseload's progress, de-identified (HIPAA Safe Harbor)."),
}
