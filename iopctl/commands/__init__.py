"""The subcommands: name -> (module in this package, one-line help shown by `iopctl --help`).

Each module defines `command`, a Click command. Keeping the help text here
lets `iopctl --help` list commands without importing them.
"""

COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("validate", "Check records against the schemas and clinical rules."),
    "schema": ("schema", "Print the JSON Schema of a record kind."),
    "calendar": ("calendar", "Session calendar of a participant, or of the program with rosters (table, csv, json, ics)."),
    "progress": ("progress", "Progress of one participant, or the caseload: attendance, hours, scores, due dates."),
}
