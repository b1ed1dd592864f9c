"""SLA clocks of help requests: deadlines, warnings, breaches and escalation."""
