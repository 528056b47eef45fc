"""The survey service's own dependency: the secret that signs personal survey links
(V3) and the guessing limit, from its nameko config.

Config keys:
- SURVEY_LINK_SECRET   the secret itself (tests give one here);
- SECRETS_DIR          else the folder holding `survey-link-signing` (as notify reads its
                       credentials: ${KEFU_VAR}/secrets, a relative folder is the
                       repository's); no secret: link operations answer Unavailable.
- LINK_GUESS_LIMIT, LINK_GUESS_WINDOW_SECONDS   bad tokens a client key may send per
                       window (10 per 600 s).
"""
import logging
from pathlib import Path

from nameko.extensions import DependencyProvider

from services.survey.domain.links import GUESS_LIMIT, GUESS_WINDOW_SECONDS

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[2]
SECRET_FILE = "survey-link-signing"


class LinkSigning:
    def __init__(self, secret: str | None, limit: int, window: int):
        self.secret = secret
        self.limits = (limit, window)


def link_secret(config: dict) -> str | None:
    given = str(config.get("SURVEY_LINK_SECRET") or "").strip()
    if given:
        return given
    folder = Path(str(config.get("SECRETS_DIR") or "var/secrets"))
    path = (folder if folder.is_absolute() else ROOT / folder) / SECRET_FILE
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError:
        log.warning("no survey link secret at %s: personal links are off", path)
        return None


class LinkSecret(DependencyProvider):
    """Injects LinkSigning(secret, limit, window), read once at start (no I/O in
    __init__ or setup)."""

    def setup(self):
        self.signing = LinkSigning(None, GUESS_LIMIT, GUESS_WINDOW_SECONDS)

    def start(self):
        config = self.container.config
        self.signing = LinkSigning(
            link_secret(config),
            int(config.get("LINK_GUESS_LIMIT") or GUESS_LIMIT),
            int(config.get("LINK_GUESS_WINDOW_SECONDS") or GUESS_WINDOW_SECONDS))

    def get_dependency(self, worker_ctx):
        return self.signing
