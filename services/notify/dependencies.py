"""The notify service's own dependency: its channel adapters, built from config."""
from nameko.extensions import DependencyProvider

from services.notify.channels.factory import channels_from_config, sms_providers
from services.notify.domain.policy import Pace

DEFAULT_RATES = {"sms": 200.0, "email": 20.0, "robot": 0.3, "webhook": 20.0}


class Channels(DependencyProvider):
    """Injects {"sms": adapter, "email": ..., "robot": ..., "webhook": ..., "providers":
    {name: sms adapter}} and the configured pace of each channel (`paces`)."""

    def setup(self):
        self.adapters: dict = {}
        self.paces: dict = {}

    def start(self):
        config = self.container.config
        self.adapters = channels_from_config(config)
        self.providers = sms_providers(config)
        rates = {**DEFAULT_RATES, **(config.get("NOTIFY_RATES") or {})}
        self.paces = {name: Pace(float(rates[name]), adapter.batch_size)
                      for name, adapter in self.adapters.items()}
        self.lease = float(config.get("SENDING_LEASE_SECONDS", 60))

    def get_dependency(self, worker_ctx):
        return self
