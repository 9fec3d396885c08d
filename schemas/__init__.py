"""The JSON Schemas of the record format, installed as package data `iopctl._schemas`."""
