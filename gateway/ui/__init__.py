"""The admin UI: server-rendered pages on the public API, served by the gateway at `/`."""

from gateway.ui.router import install

__all__ = ["install"]
