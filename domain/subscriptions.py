"""What a person can ask to be told about: the topics of the notifications (each one opt-in),
besides the labs followed from their cards (`lab:<id>`)."""

TOPICS = ("assemblea", "scuola", "annunci")
