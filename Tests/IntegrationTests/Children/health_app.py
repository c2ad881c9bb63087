"""A tiny ASGI app for the real uvicorn: GET /health answers 200 {"status": true}, anything else 404.
With HEALTH_APP_DELAY=S, its lifespan start-up takes S seconds first (as Open WebUI's migrations do), so that
/health answers only after that."""
import asyncio
import os


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        await lifespan(receive, send)
    elif scope["type"] == "http":
        healthy = scope["path"] == "/health"
        body = b'{"status": true}' if healthy else b'{"detail": "Not Found"}'
        await send({"type": "http.response.start", "status": 200 if healthy else 404,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})


async def lifespan(receive, send):
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await asyncio.sleep(float(os.environ.get("HEALTH_APP_DELAY", "0")))
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
