"""Renders deploy/nginx.conf.template: the compose file's deploy/nginx.conf and the topology
test's nginx come from the same source, so what the test proves is what production runs.

    python -m tigermcp.nginx > deploy/nginx.conf
"""

from __future__ import annotations

from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent.parent / "deploy" / "nginx.conf.template"


def _indent(lines: list[str], depth: int) -> str:
    return "\n".join(" " * depth + line for line in lines)


def nginx_conf(*, servers: list[str], listen: list[str], main: list[str] = (), http: list[str] = ()) -> str:
    """The config for `servers` (host:port of each web process) behind `listen` (the server
    block's listen/TLS directives); `main` and `http` add directives at those levels."""
    return TEMPLATE.read_text() % {
        "main": "\n".join(main),
        "http": _indent(list(http), 2),
        "servers": _indent([f"server {address};" for address in servers], 4),
        "listen": _indent(listen, 4),
    }


def compose_nginx_conf() -> str:
    """deploy/nginx.conf: TLS on 443 in front of docker compose's `web` replicas (Docker's DNS
    gives nginx every replica's address)."""
    return nginx_conf(servers=["web:8000"], listen=[
        "listen 443 ssl;",
        "ssl_certificate /etc/nginx/certs/fullchain.pem;",
        "ssl_certificate_key /etc/nginx/certs/privkey.pem;",
    ])


def local_nginx_conf(*, port: int, upstream_ports: list[int], prefix: Path, tls: tuple[Path, Path] | None = None) -> str:
    """127.0.0.1:`port` (HTTP, or HTTPS with `tls` = (certificate, key)) in front of web processes on
    loopback, with everything nginx writes under `prefix` (tests, benches)."""
    listen = [f"listen 127.0.0.1:{port};"]
    if tls is not None:
        listen = [f"listen 127.0.0.1:{port} ssl;", f"ssl_certificate {tls[0]};", f"ssl_certificate_key {tls[1]};"]
    return nginx_conf(
        servers=[f"127.0.0.1:{p}" for p in upstream_ports],
        listen=listen,
        main=["daemon off;", "worker_processes 1;", f"pid {prefix}/nginx.pid;", f"error_log {prefix}/error.log warn;"],
        http=["access_log off;"] + [f"{kind}_temp_path {prefix}/{kind};"
                                    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")],
    )


if __name__ == "__main__":
    print(compose_nginx_conf(), end="")
