"""Generated references for tests: no test depends on a sequence value or fixed data.

Tokens are signed with the test keys deploy/local/stack.sh made (var/secrets/token-keys/
test, named by KEFU_TOKEN_KEYS: deploy/local/env.sh with KEFU_ENV=test): staff tokens
with the gateway's staff key, system tokens with the service's own key.  Without that
environment (the unit tier), a fresh set of keys is made once per run in a temporary
folder.
"""
import atexit
import os
import random
import shutil
import tempfile
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.common import registry
from services.common.identity import (
    STAFF_KEY,
    TokenCodec,
    load_private_key,
    load_public_keys,
    system_key_id,
)


def random_mobile() -> str:
    """A valid mainland mobile number nobody else in the test run uses."""
    return "139" + "".join(random.choices("0123456789", k=8))


def write_keys(folder: Path, names) -> None:
    """An Ed25519 key pair <name>.key / <name>.pub for each name (as stack.sh makes)."""
    for name in names:
        key = Ed25519PrivateKey.generate()
        (folder / f"{name}.key").write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        (folder / f"{name}.pub").write_bytes(key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))


@cache
def keys_dir() -> Path:
    """The folder of the test keys (KEFU_TOKEN_KEYS), or one made for this run."""
    if os.environ.get("KEFU_TOKEN_KEYS"):
        return Path(os.environ["KEFU_TOKEN_KEYS"])
    folder = Path(tempfile.mkdtemp(prefix="kefu-token-keys-"))
    atexit.register(shutil.rmtree, folder, True)
    write_keys(folder, [STAFF_KEY, *(system_key_id(name) for name in registry.NAMES)])
    return folder


def key_config(service: str | None = None) -> dict:
    """The token settings of a container under test: the public keys, and `service`'s
    own system key (the gateway's also holds the staff key)."""
    config = {"TOKEN_KEYS": str(keys_dir())}
    if service is not None:
        config["SYSTEM_SIGNING_KEY"] = str(keys_dir() / f"{system_key_id(service)}.key")
    if service == "gateway":
        config["STAFF_SIGNING_KEY"] = str(keys_dir() / f"{STAFF_KEY}.key")
    return config


@cache
def _codec(service: str | None = None) -> TokenCodec:
    system = (service, load_private_key(keys_dir() / f"{system_key_id(service)}.key")) \
        if service else None
    return TokenCodec(load_public_keys(keys_dir()),
                      load_private_key(keys_dir() / f"{STAFF_KEY}.key"), system)


def token(roles=("agent",), staff_id=None, groups=(), clearance=0, ttl=600,
          version=0) -> str:
    """A staff token signed with the gateway's test key (version 0: older than any
    change of the account a service heard of; give the account's version when a test
    changes it)."""
    staff_id = staff_id or f"staff-{random.getrandbits(48):x}"
    return _codec().issue(staff_id, staff_id, roles, groups, clearance, version=version,
                          ttl=ttl)


def system_token(service: str) -> str:
    """A system token of `service`, signed with its own test key."""
    return _codec(service).system_token()

