#!/usr/bin/env bash
# /app/backend/start.sh of the CI image of Open WebUI 0.12.4 (scripts/ci-images openwebui): what upstream's
# backend/start.sh does before it starts the server, for the settings that apply without a GPU, Ollama or a
# Hugging Face Space: work in the script's folder, take WEBUI_SECRET_KEY from the environment or else from a key
# file (WEBUI_SECRET_KEY_FILE, default .webui_secret_key, generated once), then exec uvicorn on $HOST:$PORT
# with $UVICORN_WORKERS workers (or the script's arguments instead of --workers).
here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" &>/dev/null && pwd)
cd "$here" || exit 1

key_file=${WEBUI_SECRET_KEY_FILE:-.webui_secret_key}
PORT="${PORT:-8080}"
HOST="${HOST:-0.0.0.0}"
if [[ -z "${WEBUI_SECRET_KEY}${WEBUI_JWT_SECRET_KEY}" ]]; then
  echo "Loading WEBUI_SECRET_KEY from file, not provided as an environment variable."
  if [[ ! -e $key_file ]]; then
    echo "Generating WEBUI_SECRET_KEY"
    head -c 12 /dev/random | base64 >"$key_file"
  fi
  echo "Loading WEBUI_SECRET_KEY from $key_file"
  WEBUI_SECRET_KEY=$(cat "$key_file")
fi

python_cmd=$(command -v python3 || command -v python)
UVICORN_WORKERS="${UVICORN_WORKERS:-1}"
if (($# > 0)); then
  args=("$@")
else
  args=(--workers "$UVICORN_WORKERS")
fi
WEBUI_SECRET_KEY="$WEBUI_SECRET_KEY" exec "$python_cmd" -m uvicorn open_webui.main:app \
  --host "$HOST" --port "$PORT" --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-*}" "${args[@]}"
