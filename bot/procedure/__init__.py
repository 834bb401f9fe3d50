"""The SOP's own rules: its steps and standards, capaian, the working calendar, the round's records, roles, reminders."""
