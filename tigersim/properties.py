"""Writing ``tiger_openapi_config.properties``, the SDK's own configuration file format."""
from __future__ import annotations

import os
from pathlib import Path

PROPS_FILE = "tiger_openapi_config.properties"


def _escape(value: str) -> str:
    # Java properties: backslash escapes, and a leading space would be dropped.
    return str(value).replace("\\", "\\\\").replace("\n", "\\n")


def write_properties(directory: str | os.PathLike, *, tiger_id: str, account: str, private_key: str,
                     server_url: str, license: str | None = None, timeout: int | None = None) -> Path:
    """Write the file so ``TigerOpenClientConfig(props_path=directory)`` needs nothing else.

    ``private_key`` is the base64 PKCS#1 body the SDK accepts. The file is written atomically
    with owner-only permissions because it holds a private key.
    """
    path = Path(directory) / PROPS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# Written by the Tiger gateway simulator (tigersim). Simulated credentials only.",
             f"tiger_id={_escape(tiger_id)}", f"account={_escape(account)}",
             f"private_key={_escape(private_key)}", f"server_url={_escape(server_url)}"]
    if license:
        lines.append(f"license={_escape(license)}")
    if timeout:
        lines.append(f"timeout={int(timeout)}")
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    os.replace(tmp, path)
    return path
