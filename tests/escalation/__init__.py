"""Escalation: warnings ahead of SLA deadlines, and breaches."""
