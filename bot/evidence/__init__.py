"""Evidence files (issue 23). `content` decides what a file is by its bytes, refuses what Candor
does not take, and removes the metadata that names people before the file is sealed. It is pure:
no database, no HTTP; the upload page and the sealed storage call it.
"""
