#!/usr/bin/env bash
# mAI development pair: mai-backend-dev (Open WebUI under mai-entrypoint, uvicorn --reload, :8080) and
# mai-frontend-dev (Vite, :5173), from docker-compose-dev.yaml. `./dev-hot-reload.sh help` lists the commands;
# docs/container.md explains them.
#
# Environment: MAI_WEBUI_SOURCE  the Open WebUI (mAI) checkout to mount (default: this folder)
#              MAI_DEV_ENV_FILE  the env file (default: .env.dev beside this script)
#              MAI_DEV_COMPOSE   the compose command to use, e.g. "docker-compose" (default: detected)
#              MAI_DEV_COMPOSE_OVERRIDE  one more compose file on top (CI uses it)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
project=mai-dev
backend=mai-backend-dev
frontend=mai-frontend-dev
backend_volume=mai_backend_dev_data
frontend_volume=mai_frontend_dev_node_modules
env_file=${MAI_DEV_ENV_FILE:-$here/.env.dev}
source_dir=${MAI_WEBUI_SOURCE:-$here}
compose=()

say() { printf '%s\n' "$*"; }
die() { printf 'dev-hot-reload.sh: %s\n' "$*" >&2; exit 1; }

usage() {
  cat <<'EOF'
Usage: ./dev-hot-reload.sh COMMAND

  up | start     build if needed and start mai-backend-dev (:8080) and mai-frontend-dev (:5173)
  down | stop    stop and remove both containers (the volumes stay)
  restart        down, then up (picks up changes to .env.dev)
  logs           follow the logs of both
  logs-be        the backend's logs (followed on a terminal; printed once when piped, e.g. to grep)
  logs-fe        the frontend's logs (same)
  build          rebuild the backend image
  clean          remove the containers and, after you confirm, the volumes mai_backend_dev_data and
                 mai_frontend_dev_node_modules (the development database is lost); --yes skips the question
  status         the containers, their health, and the URLs
  shell-be       a bash shell in mai-backend-dev
  shell-fe       a shell in mai-frontend-dev
  db-status      usage-tracking schema, organization and row counts (mai-entrypoint status in the backend)
  help           this text

Needs a Docker engine and Docker Compose (docker compose v2 or docker-compose v1), and .env.dev
(copy .env.dev.example). MAI_WEBUI_SOURCE names the Open WebUI (mAI) checkout to mount (default: here).
EOF
}

# `docker compose` (v2) when the plugin is there, else `docker-compose` (v1); MAI_DEV_COMPOSE overrides.
find_compose() {
  if [[ -n ${MAI_DEV_COMPOSE:-} ]]; then
    read -r -a compose <<<"$MAI_DEV_COMPOSE"
  elif command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
    compose=(docker compose)
  elif command -v docker-compose >/dev/null 2>&1; then
    compose=(docker-compose)
  else
    die "neither 'docker compose' (v2) nor 'docker-compose' (v1) is installed; install one (Debian: apt-get install docker-compose)"
  fi
  compose+=(-p "$project" -f "$here/docker-compose-dev.yaml")
  if [[ -n ${MAI_DEV_COMPOSE_OVERRIDE:-} ]]; then
    compose+=(-f "$MAI_DEV_COMPOSE_OVERRIDE")
  fi
}

need_engine() {
  command -v docker >/dev/null 2>&1 || die "the docker command is not installed (Debian: apt-get install docker.io)"
  local answered=0
  if command -v timeout >/dev/null 2>&1; then
    timeout 20 docker info >/dev/null 2>&1 && answered=1
  else
    docker info >/dev/null 2>&1 && answered=1
  fi
  ((answered)) || die "no Docker engine answers at ${DOCKER_HOST:-unix:///var/run/docker.sock}; start it (systemctl start docker) or set DOCKER_HOST"
}

need_env_file() {
  [[ -f $env_file ]] || die "$env_file is missing: copy .env.dev.example to .env.dev and fill it in (cp '$here/.env.dev.example' '$here/.env.dev')"
}

need_source() {
  [[ -d $source_dir/backend/open_webui ]] ||
    die "no Open WebUI source at $source_dir (backend/open_webui is missing): set MAI_WEBUI_SOURCE to the mAI checkout"
  [[ -f $source_dir/package.json ]] || die "no package.json in $source_dir: set MAI_WEBUI_SOURCE to the mAI checkout"
}

# Compose reads these when it interpolates docker-compose-dev.yaml. Commands other than up and restart work
# without .env.dev (Compose v1 refuses a missing env_file even for down or ps).
export_settings() {
  MAI_DEV_ENV_FILE=$env_file
  [[ -f $env_file ]] || MAI_DEV_ENV_FILE=/dev/null
  MAI_WEBUI_SOURCE=$source_dir
  export MAI_DEV_ENV_FILE MAI_WEBUI_SOURCE
}

# A terminal follows the logs; a pipe (./dev-hot-reload.sh logs-be | grep …) gets them once and ends.
show_logs() {
  if [[ -t 1 ]]; then
    docker logs --follow --tail 200 "$1"
  else
    docker logs "$1" 2>&1
  fi
}

up() {
  say "Starting $backend (:8080) and $frontend (:5173) ..."
  "${compose[@]}" up -d --build
  say "Backend:  http://localhost:8080 (health: docker inspect -f '{{.State.Health.Status}}' $backend)"
  say "Frontend: http://localhost:5173"
  say "Logs: ./dev-hot-reload.sh logs-be | grep 'Usage tracking'"
}

down() {
  "${compose[@]}" down
}

status() {
  "${compose[@]}" ps
  local name state
  for name in "$backend" "$frontend"; do
    state=$(docker inspect -f '{{.State.Status}}{{if .State.Health}} ({{.State.Health.Status}}){{end}}' "$name" 2>/dev/null) ||
      state="not created"
    say "$name: $state"
  done
  say "Backend:  http://localhost:8080   Frontend: http://localhost:5173"
}

clean() {
  local answer=""
  if [[ ${1:-} == --yes || ${1:-} == -y ]]; then
    answer=y
  else
    printf 'Remove %s and %s and DELETE the volumes %s (the development database) and %s? [y/N] ' \
      "$backend" "$frontend" "$backend_volume" "$frontend_volume"
    read -r answer || answer=""
  fi
  case $answer in
    y | Y | yes | YES)
      "${compose[@]}" down --volumes --remove-orphans
      say "Removed the containers and the volumes $backend_volume, $frontend_volume."
      ;;
    *)
      "${compose[@]}" down --remove-orphans
      say "Removed the containers; the volumes stay."
      ;;
  esac
}

need_running() {
  [[ $(docker inspect -f '{{.State.Running}}' "$1" 2>/dev/null) == true ]] ||
    die "$1 is not running: ./dev-hot-reload.sh up"
}

main() {
  local command=${1:-help}
  shift || true
  case $command in
    help | -h | --help) usage; return 0 ;;
    up | start | down | stop | restart | logs | logs-be | logs-fe | build | clean | status | shell-be | shell-fe | db-status) ;;
    *) usage >&2; say "dev-hot-reload.sh: unknown command: $command" >&2; return 2 ;;
  esac
  case $command in
    up | start | restart) need_env_file; need_source ;;
  esac
  need_engine
  find_compose
  export_settings
  case $command in
    up | start) up ;;
    down | stop) down ;;
    restart) down; up ;;
    logs) "${compose[@]}" logs --follow --tail=200 ;;
    logs-be) show_logs "$backend" ;;
    logs-fe) show_logs "$frontend" ;;
    build) "${compose[@]}" build "$backend" ;;
    clean) clean "$@" ;;
    status) status ;;
    shell-be) need_running "$backend"; docker exec -it "$backend" bash ;;
    shell-fe) need_running "$frontend"; docker exec -it "$frontend" sh ;;
    db-status) need_running "$backend"; docker exec "$backend" mai-entrypoint status ;;
  esac
}

main "$@"
