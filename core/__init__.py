"""The shared kernel: errors, redaction, config parsing, admin and API bases. Imports no app."""
