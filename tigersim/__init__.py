"""Tiger OpenAPI gateway simulator.

The real, unmodified ``tigeropen`` SDK talks to it over HTTP on 127.0.0.1. The core has no
Django dependency (no models, no ORM); Django only sees the thin ``apps`` and management
command modules. Import the entry point with ``from tigersim.server import Simulator``.
"""

default_app_config = "tigersim.apps.TigersimConfig"
