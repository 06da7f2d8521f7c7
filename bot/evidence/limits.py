"""What the evidence pages are allowed: where browsers reach them and how much they take.

Built once in the composition root from CANDOR_PUBLIC_URL, CANDOR_FILE_MAX_MB and
CANDOR_CASE_FILES_MAX_MB, and carried by the core (`Core.evidence`). Imports nothing of the bot.
"""

from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True)
class EvidenceSettings:
    # The base URL browsers reach (`https://candor.example.com`); None: no upload, no download.
    public_url: str | None = None
    file_max_bytes: int = 25 * MB
    case_max_bytes: int = 200 * MB

    @property
    def enabled(self) -> bool:
        return self.public_url is not None

    def link(self, path: str) -> str:
        assert self.public_url is not None
        return f"{self.public_url}{path}"
