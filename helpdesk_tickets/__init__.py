"""A pluggable customer-support ticketing app for Django."""

__version__ = "0.1.0"
