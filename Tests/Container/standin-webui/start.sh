#!/usr/bin/env bash
# Stand-in for Open WebUI's backend/start.sh: same working directory, same PORT and HOST variables, and it
# ends by exec-ing the server, as the real script execs uvicorn.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
PORT="${PORT:-8080}"
HOST="${HOST:-0.0.0.0}"
exec python3 -u standin_server.py --host "$HOST" --port "$PORT"
