"""The packaged handout templates, installed as package data `iopctl._templates`."""
