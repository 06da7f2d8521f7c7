"""What people read, built from the records and rendered for each reader: `case.py` holds one
case, shown as the committee's details, the case file and the reporter's status view; `home.py`
the homes and the menu.

A view checks no access and writes nothing; the use case that shows it has already checked who
asks, and audits the showing. (A home leaves out what its reader is kept away from.)
"""
