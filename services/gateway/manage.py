"""Operator commands of the gateway (python -m services.manage gateway <command>)."""


from services.gateway.admin import ensure_admin


def ensure_admin_command(password_file: str) -> int:
    """ensure-admin PASSWORD_FILE: create the first `admin` account (idempotent); a new
    random password is written to PASSWORD_FILE (mode 0600) and printed once."""
    new = ensure_admin(password_file)
    if new:
        print(f"created account admin; password (shown once, also in {password_file}): {new}")
    else:
        print(f"account admin exists; its first password is in {password_file}")
    return 0


COMMANDS = {"ensure-admin": ensure_admin_command}

