# shellcheck shell=bash
# shellcheck disable=SC2034,SC2154 # bin_rel, ci_image_tarball: for the sourcing script; stop_seconds: harness.sh
# The Docker side of the container test scripts (scripts/container-tests, scripts/container-tests-openwebui), one
# copy: the packages they install, the release binary they put in the image, their own dockerd (no registry is
# reachable and no bridge may be used here), the root file systems of scripts/ci-images imported as images, and
# what the checks ask of containers. Sourced after scripts/lib/harness.sh (say, pass, fatal, wait_until, gone).
#
#   engine_start DIR   dockerd with the bridge, iptables and forwarding off, its data root, exec root, pidfile
#                      and socket under DIR; DOCKER_HOST points at it. engine_stop removes every container and
#                      volume, stops it and its containerd (call it from harness_cleanup: it runs at any exit).

engine_dir=""
dockerd_pid=""

# apt_install_missing PACKAGE...: installs them (none: nothing), quietly, from Debian's archive.
apt_install_missing() {
  (($#)) || return 0
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# The daemon runs with its own root; a Docker context from outside must not leak into anything below. The legacy
# builder: the Docker CLI here has no buildx.
engine_environment() {
  unset DOCKER_CONTEXT DOCKER_CERT_PATH DOCKER_TLS_VERIFY
  export DOCKER_BUILDKIT=0 COMPOSE_DOCKER_CLI_BUILD=0
}

# release_binary DIR: the static release build (.build-release) of mai-entrypoint; sets bin and bin_rel (its path
# relative to the repository, for the Dockerfile's MAI_ENTRYPOINT_BINARY). Its log goes to DIR.
release_binary() {
  local swift_build=(scripts/build-release --scratch-path .build-release)
  "${swift_build[@]}" >"$1/swift-build.log" 2>&1 || fatal "swift build" "$(tail -n 30 "$1/swift-build.log")"
  bin=$("${swift_build[@]}" --show-bin-path)/mai-entrypoint
  bin_rel=$(realpath --relative-to="$PWD" "$bin")
}

engine_start() {
  engine_dir=$1
  mkdir -p "$engine_dir/data" "$engine_dir/exec"
  local sock="$engine_dir/docker.sock"
  dockerd --bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
    --data-root "$engine_dir/data" --exec-root "$engine_dir/exec" --pidfile "$engine_dir/docker.pid" -H "unix://$sock" \
    >"$engine_dir/dockerd.log" 2>&1 &
  dockerd_pid=$!
  export DOCKER_HOST="unix://$sock"
  wait_until 30 docker info || fatal "dockerd answers within 30 s" "$(tail -n 20 "$engine_dir/dockerd.log")"
  pass "dockerd answers ($(docker version -f '{{.Server.Version}}'), storage $(docker info -f '{{.Driver}}'))"
}

engine_stop() {
  [[ -n $dockerd_pid ]] || return 0
  if kill -0 "$dockerd_pid" 2>/dev/null; then
    if timeout 10 docker info >/dev/null 2>&1; then
      local ids
      ids=$(timeout 20 docker ps -aq 2>/dev/null || true)
      # shellcheck disable=SC2086 # one id per word
      [[ -z $ids ]] || timeout 60 docker rm -f -v $ids >/dev/null 2>&1 || true
      timeout 60 docker volume prune -f >/dev/null 2>&1 || true
    fi
    kill -TERM "$dockerd_pid" 2>/dev/null || true
    wait_until 30 gone "$dockerd_pid" || kill -KILL "$dockerd_pid" 2>/dev/null || true
    wait "$dockerd_pid" 2>/dev/null || true
  fi
  # A daemon killed hard leaves its containerd behind.
  local pidfile pid
  for pidfile in "$engine_dir"/exec/containerd/containerd.pid "$engine_dir"/exec/*/containerd.pid; do
    [[ -f $pidfile ]] || continue
    pid=$(cat "$pidfile")
    if [[ -n $pid ]]; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
  dockerd_pid=""
}

# ci_image KIND LOG: the tarball scripts/ci-images makes or finds in its cache for KIND (its last line), its
# messages in LOG; a failure is fatal.
ci_image() {
  local tarball
  tarball=$(scripts/ci-images "$1" 2>"$2" | tail -n1) || fatal "scripts/ci-images $1" "$(tail -n 20 "$2")"
  [[ -s $tarball ]] || fatal "scripts/ci-images $1" "$(tail -n 20 "$2")"
  say "$tarball ($(du -h "$tarball" | cut -f1))"
  ci_image_tarball=$tarball
}

# engine_import TARBALL IMAGE [--change INSTRUCTION]...: a root file system as an image; a failure is fatal.
engine_import() {
  timeout 900 docker import "${@:3}" "$1" "$2" >/dev/null || fatal "docker import $1"
}

# What the checks ask of containers. (Never `docker logs … | grep -q` under pipefail: grep quits at the first
# match, docker logs may then fail writing the rest, and the pipeline counts as failed. The logs are read whole.)
logs_of() { docker logs "$1" 2>&1; }
logs_contain() { local logs; logs=$(logs_of "$1"); grep -qF -- "$2" <<<"$logs"; }
logs_count() { logs_of "$1" | grep -cF -- "$2" || true; }
health_of() { docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$1" 2>/dev/null; }
is_healthy() { [[ $(health_of "$1") == healthy ]]; }
is_running() { [[ $(docker inspect -f '{{.State.Running}}' "$1" 2>/dev/null) == true ]]; }
is_stopped() { [[ $(docker inspect -f '{{.State.Running}}' "$1" 2>/dev/null) == false ]]; }
exists() { docker inspect "$1" >/dev/null 2>&1; }
# pid1_is NAME PREFIX: the container's PID 1 command line starts with PREFIX.
pid1_is() { local cmdline; cmdline=$(docker exec "$1" cat /proc/1/cmdline | tr '\0' ' '); echo "$cmdline"; grep -q "^$2" <<<"$cmdline"; }
# stopped_with NAME STATUS MIN MAX: the container exited with STATUS after a stop that took MIN-MAX seconds
# ($stop_seconds, from timed).
stopped_with() {
  local code; code=$(docker inspect -f '{{.State.ExitCode}} {{.State.Running}}' "$1")
  echo "exit status and running: $code; stop took ${stop_seconds}s (wanted $2 in $3-$4 s)"
  [[ $code == "$2 false" ]] && awk -v s="$stop_seconds" -v a="$3" -v b="$4" 'BEGIN { exit !(s >= a && s < b) }'
}
