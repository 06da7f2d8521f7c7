"""The words of evidence files around the upload page: the buttons and windows in the chat that
hand out links, the case's list of files, and the upload, result and error pages themselves.
(What a file's content is, and what was removed from it, is `bot.wording.evidence`'s.)

None of them quotes a file; a file's name appears only in a private window or on the page.
"""

from __future__ import annotations

from datetime import date

# --- in the chat's private windows -----------------------------------------------------------

ADD_DOCUMENTS = "Add documents"
DOCUMENTS = "Documents"
NO_DOCUMENTS = "None yet."
UPLOAD_TITLE = "Add documents"
DOWNLOAD_TITLE = "Download a document"
NOT_AVAILABLE = (
    "Documents cannot be added or downloaded here: Candor's upload page is not set up (an "
    "operator sets CANDOR_PUBLIC_URL; `candor status` says how). Describe the evidence and where "
    "it is kept instead."
)
RECEIPT_AGAIN = ("The link to add documents was in the first receipt; for a new one, check your "
                 "case's status and choose Add documents.")
FILE_NOT_FOUND = "That document is not on this case any more."


def download_button(name: str) -> str:
    short = name if len(name) <= 40 else f"{name[:37]}..."
    return f"Download {short}"


def upload_link(url: str, code: str, minutes: int) -> str:
    return (f"Open this link in your browser to add documents to case {code}: {url}\n"
            f"It works once, for {minutes} minutes, and only for you: do not forward it. The "
            "files go to Candor's own server, sealed; they never pass through the chat.")


def receipt_upload(url: str, minutes: int, *, anonymous: bool) -> str:
    text = (f"To add documents (a spreadsheet, an invoice, an e-mail), open this link in your "
            f"browser within {minutes} minutes: {url}\nIt works once; you can ask for another "
            "from your case's status.")
    if anonymous:
        text += (" Opening it connects your browser to Candor's server, which your company's "
                 "network can see: to stay anonymous, use a personal device on a personal network, "
                 "or describe the evidence instead.")
    return text


def download_link(url: str, name: str, minutes: int) -> str:
    return (f"Open this link and press Download to get {name}: {url}\nIt works once, for "
            f"{minutes} minutes. Whoever holds it can use it: do not forward it. Downloading is "
            "recorded.")


def file_line(name: str, size: str, kind: str, day: date, added_by: str) -> str:
    return f"{name} ({kind}, {size}), added {day:%Y-%m-%d} by {added_by}"


THE_REPORTER = "the reporter"


def designee(name: str) -> str:
    return f"{name} (designated person)"


def size(count: int) -> str:
    if count < 1024:
        return f"{count} bytes"
    if count < 1024 * 1024:
        return f"{count / 1024:.1f} KB"
    return f"{count / (1024 * 1024):.1f} MB"


# --- the pages ---------------------------------------------------------------------------------

PAGE_TITLE = "Candor: add documents"
RESULT_TITLE = "Candor: documents received"
CHOOSE_FILES = "Files"
SCRUB_CHOICE = "Remove the names of people from the files' details (author, company, GPS position)"
SEND = "Send the files"


def page_heading(code: str) -> str:
    return f"Add documents to case {code}"


def limits(file_mb: int, case_mb_left: float, allowed: str, files: int) -> str:
    return (f"Up to {files} files at once, each at most {file_mb} MB; this case can take "
            f"{case_mb_left:.0f} MB more. Accepted: {allowed}. The type is checked by the "
            "content, not the name.")


WHAT_HAPPENS = (
    "What happens to the files: each is checked, then sealed (encrypted) in Candor's database as "
    "it is stored; nothing is kept in the clear. Only the Audit Committee members allowed on the "
    "case (and people it designates to the case) can download them, each download through a "
    "single-use link that is recorded. They are deleted with the case when its retention ends."
)
SCRUBBED = (
    "Before sealing, Candor removes the details inside the files that name people: the author, "
    "last editor, company and manager of Office documents, comment and change authors, a PDF's "
    "document information, and a photo's GPS position, camera owner and other EXIF details. The "
    "text of a document itself is not changed, and may name people."
)
NAMED_SCRUB = (
    "Tick the box below to remove the details inside the files that name people (author, "
    "company, a photo's GPS position) before they are sealed; otherwise they are kept as they are."
)
ANONYMOUS_WARNING = (
    "You reported anonymously. Opening this page connects your browser to Candor's server, which "
    "your company's network can see. To stay anonymous, use a personal device on a personal "
    "network, or close this page and describe the evidence instead."
)
STORED = "Stored"
REFUSED = "Not stored"
RESULT_INTRO = "This link has been used; ask for a new one in Candor to add more."


def stored_line(name: str, size_text: str, sha256: str) -> str:
    return f"{name}: {size_text}, SHA-256 {sha256}"


REMOVED = "Removed"
UNCHECKED = "Not checked"
NOTHING_REMOVED = "nothing"

# error pages: a heading and a sentence each
LINK_GONE = ("This link does not work any more",
             "It was used already, it has expired, or it is not a link Candor issued. Nothing "
             "was changed. Ask for a new link in Candor (from the case's window).")
TOO_LARGE = ("Too large: nothing was kept",
             "A file (or all of them together) was larger than allowed, so the upload was stopped "
             "and nothing from it was kept. This link has been used; ask for a new one in Candor "
             "and send smaller files, or fewer at once.")
MALFORMED = ("The upload could not be read: nothing was kept",
             "The browser's request was not a file upload Candor understands. Nothing was kept. "
             "Ask for a new link in Candor and try again.")
TOO_MANY_FILES = ("Too many files at once: nothing was kept",
                  "Send fewer files at once. Nothing was kept; ask for a new link in Candor.")
TOO_SLOW = ("The upload took too long: nothing was kept",
            "The connection was too slow or stopped. Nothing was kept; ask for a new link in "
            "Candor and try again.")
BUSY = ("Candor is busy",
        "Too many uploads are in progress. Your link still works: wait a minute and try again.")
NO_FILES = ("No file was chosen: nothing was kept",
            "Ask for a new link in Candor and choose at least one file.")
CASE_CLOSED = ("This case takes no more documents", "Nothing was kept.")
NOT_FOUND = ("Not found", "There is nothing here.")


# the download's confirmation page (a GET uses nothing up; the button's POST uses the link)
DOWNLOAD_PAGE_TITLE = "Candor: download a document"
DOWNLOAD_BUTTON = "Download"


def download_heading(name: str) -> str:
    return f"Download {name}"


def download_facts(code: str, kind: str, size_text: str) -> str:
    return f"A document of case {code}: {kind}, {size_text}."


DOWNLOAD_NOTE = ("This link works once: pressing Download uses it and saves the file to this "
                 "device; it is not shown in the browser. The download is recorded.")
