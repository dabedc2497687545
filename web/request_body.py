"""Read a request body with a size cap and a deadline, before anything else looks at it."""

from __future__ import annotations

import asyncio

from fastapi import Request


class BodyRefused(Exception):
    """The body is too large, too slow or malformed; `status` is the HTTP answer to give."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


async def read_bounded(request: Request, max_bytes: int, deadline_seconds: float) -> bytes:
    """The whole body, or BodyRefused: 413 over `max_bytes`, 408 if it takes too long.

    A declared Content-Length over the cap is refused before a byte is read; a body that
    lies about its length, or is chunked, is cut off as soon as it passes the cap, so a
    hostile post costs at most `max_bytes` of memory and `deadline_seconds` of a worker.
    """
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise BodyRefused(400, "Content-Length is not a number")
        if int(declared) > max_bytes:
            raise BodyRefused(413, f"Content-Length {declared} is over {max_bytes} bytes")
    try:
        async with asyncio.timeout(deadline_seconds):
            return await _read_capped(request, max_bytes)
    except TimeoutError:
        raise BodyRefused(408, f"body not received within {deadline_seconds:g} s") from None


async def _read_capped(request: Request, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise BodyRefused(413, f"body over {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
