"""stdio transport on asyncio pipes.

The SDK's `stdio_server` reads and writes the standard streams through worker threads (two thread
hand-offs per message). Tool calls are short, so those hand-offs are a large share of their
latency; this transport reads and writes the same newline-delimited JSON-RPC on non-blocking
pipes instead, and keeps the SDK's message types, parsing and serialisation.

It also owns the rule that stdout carries protocol bytes only: the protocol gets a private
duplicate of fd 1, and fd 1 itself is pointed at stderr for as long as the server runs, so output
that any library prints by mistake lands in the log, never in the protocol stream.
"""

from __future__ import annotations

import asyncio
import os
import stat
import sys
from contextlib import asynccontextmanager

import anyio
import mcp_types as types
from mcp.shared._context_streams import create_context_streams
from mcp.shared.message import SessionMessage

MAX_LINE = 16 * 1024 * 1024


def _pipe_like(fd: int) -> bool:
    mode = os.fstat(fd).st_mode
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISCHR(mode)


class _FileLines:
    """A regular file as protocol input: lines read on a worker thread."""

    def __init__(self, file):
        self._file = file

    async def readline(self) -> bytes:
        return await anyio.to_thread.run_sync(self._file.readline, MAX_LINE)


class _FileWriter:
    """A regular file as protocol output: a local file write does not wait on a reader."""

    def __init__(self, file):
        self._file = file

    def write(self, data: bytes) -> None:
        self._file.write(data)

    async def drain(self) -> None:
        return None


@asynccontextmanager
async def stdio_pipes():
    loop = asyncio.get_running_loop()
    sys.stdout.flush()
    protocol_out = os.dup(1)
    os.dup2(2, 1)  # from here on, fd 1 (print, C libraries) is stderr
    protocol_in = os.dup(0)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)  # nothing else may consume protocol input
    os.close(devnull)

    in_file = os.fdopen(protocol_in, "rb", buffering=0)
    out_file = os.fdopen(protocol_out, "wb", buffering=0)
    transport = None
    if _pipe_like(protocol_in):
        reader = asyncio.StreamReader(limit=MAX_LINE)
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), in_file)
    else:  # `run_mcp < requests.jsonl`: asyncio takes no regular file
        reader = _FileLines(in_file)
    if _pipe_like(protocol_out):
        transport, protocol = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin, out_file)
        writer = asyncio.StreamWriter(transport, protocol, None, loop)
    else:  # `run_mcp > replies.jsonl`
        writer = _FileWriter(out_file)

    read_writer, read_stream = create_context_streams[SessionMessage | Exception](0)
    write_stream, write_reader = create_context_streams[SessionMessage](0)

    async def pump_in():
        async with read_writer:
            while True:
                line = await reader.readline()
                if not line:
                    return
                if not line.strip():
                    continue
                try:
                    message = types.jsonrpc_message_adapter.validate_json(line, by_name=False)
                except Exception as exc:  # the SDK reports unparsable input the same way
                    await read_writer.send(exc)
                    continue
                await read_writer.send(SessionMessage(message))

    async def pump_out():
        async with write_reader:
            async for session_message in write_reader:
                data = session_message.message.model_dump_json(by_alias=True, exclude_unset=True)
                writer.write(data.encode() + b"\n")
                await writer.drain()

    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(pump_in)
            tg.start_soon(pump_out)
            yield read_stream, write_stream
            tg.cancel_scope.cancel()
    finally:
        if transport is not None:
            transport.close()
