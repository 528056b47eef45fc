"""Operator commands of the customer service (python -m services.manage customer <command>)."""
from services.customer.verify_log import main as verify_access_log

COMMANDS = {"verify-access-log": verify_access_log}
