#!/usr/bin/env bash
# One-node OpenStack Swift on loopback, from Debian's packages, for the integration tests.
#
#   bash scripts/swift-aio.sh install       install swift, swift-proxy, swift-account,
#                                           swift-container, swift-object, memcached,
#                                           python3-swiftclient when missing (needs root)
#   bash scripts/swift-aio.sh start <dir>   start an instance whose configs, rings, device,
#                                           pid files and logs all live in <dir>; prints the
#                                           endpoint (also written to <dir>/env)
#   bash scripts/swift-aio.sh stop <dir>    stop it (by pid files) and check nothing is left
#   bash scripts/swift-aio.sh status <dir>  exit 0 when every process of <dir> runs
#   bash scripts/swift-aio.sh check         exit 0 when the packages are installed
#
# Layout of <dir> (owned by user swift):
#   etc/    swift.conf, {proxy,account,container,object}-server.conf, *.builder, *.ring.gz
#   srv/node/sdb1/   the one device (a directory on the local disk, mount_check off)
#   cache/  recon cache     run/  <server>.pid     log/  <server>.log     env  endpoint info
#
# Every process runs in its own session (setsid), so its pid is also its process group id and
# `stop` can signal and check the whole group (a server and anything it forked) by that id.
# Needs root (to chown <dir> and start the servers as user swift).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TEMPLATES="$HERE/swift-aio"
PY=/usr/bin/python3
PACKAGES=(swift swift-proxy swift-account swift-container swift-object memcached python3-swiftclient)
SERVERS=(account-server container-server object-server proxy-server)
START_TIMEOUT="${SWIFT_AIO_START_TIMEOUT:-45}"

die() {
  echo "swift-aio: $*" >&2
  exit 1
}

missing_packages() {
  local p
  for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      echo "$p"
    fi
  done
}

cmd_install() {
  local missing
  missing="$(missing_packages | tr '\n' ' ')"
  if [[ -z "${missing// /}" ]]; then
    echo "swift-aio: all packages installed: ${PACKAGES[*]}"
    return 0
  fi
  [[ "$(id -u)" == 0 ]] || die "installing needs root: missing $missing"
  echo "swift-aio: installing $missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  # shellcheck disable=SC2086
  apt-get install -y --no-install-recommends $missing
  # Debian's packages start the daemons where an init system runs; the tests start their own.
  local rest
  rest="$(missing_packages | tr '\n' ' ')"
  [[ -z "${rest// /}" ]] || die "still missing after apt-get install: $rest"
}

check_installed() {
  local missing
  missing="$(missing_packages | tr '\n' ' ')"
  [[ -z "${missing// /}" ]] ||
    die "Swift is not installed (missing: $missing). Run: bash scripts/swift-aio.sh install"
  [[ -x "$PY" ]] || die "$PY not found. Run: bash scripts/swift-aio.sh install"
  getent passwd swift >/dev/null || die "user swift does not exist. Run: bash scripts/swift-aio.sh install"
}

# Pid files of <dir>, memcached first (started first, stopped last).
pid_files() {
  local dir="$1" name
  for name in memcached "${SERVERS[@]}"; do
    [[ -f "$dir/run/$name.pid" ]] && echo "$dir/run/$name.pid"
  done
  return 0
}

# Pids of live (not zombie) processes in process group $1: the server and anything it forked.
# Reads /proc directly (no procps on minimal machines).
group_members() {
  local g="$1" f line fields
  for f in /proc/[0-9]*/stat; do
    { read -r line <"$f"; } 2>/dev/null || continue
    # stat: pid (comm) state ppid pgrp ...; comm may hold spaces, so split after the last ")".
    read -r -a fields <<<"${line##*) }"
    [[ "${fields[2]:-}" == "$g" && "${fields[0]:-}" != "Z" ]] && echo "${line%% *}"
  done
  return 0
}

# Starts "$@" in a new session with stdout/stderr to <dir>/log/<name>.log. The new process
# writes its own pid file before it execs the server, so a server never runs without one, even
# if this script is killed right after starting it. Its pid is also its session and process
# group id (setsid does not fork: a background job of a script is not a group leader).
spawn() {
  local dir="$1" name="$2"
  shift 2
  local pidfile="$dir/run/$name.pid"
  rm -f "$pidfile"
  # shellcheck disable=SC2016
  setsid sh -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" </dev/null >>"$dir/log/$name.log" 2>&1 &
  local i
  for ((i = 0; i < 200; i++)); do
    [[ -s "$pidfile" ]] && return 0
    sleep 0.01
  done
  die "$name did not start (no pid file after 2 s)"
}

render() {
  local template="$1" out="$2"
  sed -e "s|@DIR@|$DIR|g" \
    -e "s|@PROXY_PORT@|$PROXY_PORT|g" \
    -e "s|@ACCOUNT_PORT@|$ACCOUNT_PORT|g" \
    -e "s|@CONTAINER_PORT@|$CONTAINER_PORT|g" \
    -e "s|@OBJECT_PORT@|$OBJECT_PORT|g" \
    -e "s|@MEMCACHED_PORT@|$MEMCACHED_PORT|g" \
    -e "s|@HASH_SUFFIX@|$HASH_SUFFIX|g" \
    -e "s|@HASH_PREFIX@|$HASH_PREFIX|g" \
    "$template" >"$out"
}

cmd_start() {
  [[ $# -eq 1 ]] || die "usage: swift-aio.sh start <dir>"
  check_installed
  [[ "$(id -u)" == 0 ]] || die "start needs root (it chowns <dir> and starts the servers as user swift)"
  mkdir -p "$1"
  DIR="$(cd "$1" && pwd -P)"
  [[ "$DIR" != *"|"* && "$DIR" != *" "* ]] || die "directory must not contain '|' or spaces: $DIR"
  if [[ -n "$(pid_files "$DIR")" ]]; then
    die "$DIR already has pid files; run: bash scripts/swift-aio.sh stop $DIR"
  fi
  local t0
  t0="$(date +%s.%N)"

  mkdir -p "$DIR/etc" "$DIR/srv/node/sdb1" "$DIR/cache" "$DIR/run" "$DIR/log"
  chmod 755 "$DIR"
  chown -R swift:swift "$DIR"
  # The servers run as swift: every parent directory must be searchable by it.
  runuser -u swift -- test -w "$DIR/srv/node/sdb1" ||
    die "user swift cannot write $DIR/srv/node/sdb1 (a parent directory is not searchable?)"

  local ports
  read -r PROXY_PORT ACCOUNT_PORT CONTAINER_PORT OBJECT_PORT MEMCACHED_PORT \
    <<<"$("$PY" "$TEMPLATES/aio.py" ports 5)"
  HASH_SUFFIX="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
  HASH_PREFIX="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
  render "$TEMPLATES/swift.conf.in" "$DIR/etc/swift.conf"
  local s
  for s in "${SERVERS[@]}"; do
    render "$TEMPLATES/$s.conf.in" "$DIR/etc/$s.conf"
  done
  "$PY" "$TEMPLATES/aio.py" rings "$DIR/etc" "$ACCOUNT_PORT" "$CONTAINER_PORT" "$OBJECT_PORT"
  chown -R swift:swift "$DIR"

  # If anything below fails, stop what was started.
  trap 'echo "swift-aio: start failed; logs:" >&2; tail -n 20 "$DIR"/log/*.log >&2 || true; cmd_stop "$DIR" >&2 || true' ERR

  spawn "$DIR" memcached /usr/bin/memcached -u swift -l 127.0.0.1 -p "$MEMCACHED_PORT" -U 0 -m 64 -c 1024
  for s in "${SERVERS[@]}"; do
    # workers = 0 never reaches Swift's drop_privileges(): start the server as swift directly
    # (setpriv execs, so the pid stays the server's own).
    spawn "$DIR" "$s" setpriv --reuid=swift --regid=swift --init-groups -- \
      "$PY" "$TEMPLATES/run-server.py" "$s" "$DIR/etc/swift.conf" "$DIR/etc/$s.conf"
  done

  local proxy="http://127.0.0.1:$PROXY_PORT" ready storage digests
  ready="$("$PY" "$TEMPLATES/aio.py" wait "$START_TIMEOUT" "$proxy" \
    "http://127.0.0.1:$ACCOUNT_PORT" "http://127.0.0.1:$CONTAINER_PORT" "http://127.0.0.1:$OBJECT_PORT")"
  storage="$(sed -n 1p <<<"$ready")"
  digests="$(sed -n 2p <<<"$ready")"
  cmd_status "$DIR" >/dev/null
  trap - ERR
  chown -R swift:swift "$DIR/run" "$DIR/log"

  local t1 elapsed
  t1="$(date +%s.%N)"
  elapsed="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"
  cat >"$DIR/env" <<EOF
SWIFT_AIO_DIR=$DIR
SWIFT_PROXY_URL=$proxy
SWIFT_AUTH_URL=$proxy/auth/v1.0
SWIFT_STORAGE_URL=$storage
SWIFT_ACCOUNT=${storage##*/}
SWIFT_USER=test:tester
SWIFT_KEY=testing
SWIFT_TEMPURL_DIGESTS="$digests"
SWIFT_S3_ENDPOINT=$proxy
SWIFT_S3_REGION=us-east-1
SWIFT_S3_ACCESS_KEY_ID=test:tester
SWIFT_S3_SECRET_ACCESS_KEY=testing
SWIFT_S3_FORCE_PATH_STYLE=true
SWIFT_PROXY_PORT=$PROXY_PORT
SWIFT_ACCOUNT_PORT=$ACCOUNT_PORT
SWIFT_CONTAINER_PORT=$CONTAINER_PORT
SWIFT_OBJECT_PORT=$OBJECT_PORT
SWIFT_MEMCACHED_PORT=$MEMCACHED_PORT
SWIFT_START_SECONDS=$elapsed
EOF
  chown swift:swift "$DIR/env"
  cat "$DIR/env"
  echo "swift-aio: started in ${elapsed}s ($DIR)" >&2
}

cmd_status() {
  [[ $# -eq 1 ]] || die "usage: swift-aio.sh status <dir>"
  local dir="$1" f pid bad=0 name
  for name in memcached "${SERVERS[@]}"; do
    f="$dir/run/$name.pid"
    if [[ ! -f "$f" ]]; then
      echo "$name: no pid file"
      bad=1
      continue
    fi
    pid="$(cat "$f")"
    if kill -0 "$pid" 2>/dev/null; then
      echo "$name: running (pid $pid)"
    else
      echo "$name: not running (pid $pid)"
      bad=1
    fi
  done
  return "$bad"
}

cmd_stop() {
  [[ $# -eq 1 ]] || die "usage: swift-aio.sh stop <dir>"
  local dir="$1" f pid left=() files
  [[ -d "$dir" ]] || {
    echo "swift-aio: $dir does not exist; nothing to stop"
    return 0
  }
  files="$(pid_files "$dir")"
  [[ -n "$files" ]] || {
    echo "swift-aio: no pid files in $dir/run; nothing to stop"
    return 0
  }
  # SIGTERM every group, then wait for all of them together.
  while read -r f; do
    pid="$(cat "$f")"
    [[ "$pid" =~ ^[0-9]+$ ]] || continue
    kill -TERM -- "-$pid" 2>/dev/null || true
  done <<<"$files"
  local deadline=$((SECONDS + 10)) alive
  while ((SECONDS < deadline)); do
    alive=0
    while read -r f; do
      pid="$(cat "$f")"
      [[ -n "$(group_members "$pid")" ]] && alive=1
    done <<<"$files"
    ((alive == 0)) && break
    sleep 0.1
  done
  # Whatever ignored SIGTERM gets SIGKILL; then check again.
  while read -r f; do
    pid="$(cat "$f")"
    if [[ -n "$(group_members "$pid")" ]]; then
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
  done <<<"$files"
  sleep 0.2
  while read -r f; do
    pid="$(cat "$f")"
    if [[ -n "$(group_members "$pid")" ]]; then
      left+=("$(basename "$f" .pid) (pgid $pid: $(group_members "$pid" | tr '\n' ' '))")
    else
      rm -f "$f"
    fi
  done <<<"$files"
  if ((${#left[@]} > 0)); then
    die "still running after SIGKILL: ${left[*]}"
  fi
  echo "swift-aio: stopped ($dir)"
}

main() {
  local cmd="${1:-}"
  shift || true
  case "$cmd" in
  install) cmd_install "$@" ;;
  start) cmd_start "$@" ;;
  stop) cmd_stop "$@" ;;
  status) cmd_status "$@" ;;
  check) check_installed && echo "swift-aio: installed" ;;
  *)
    sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
  esac
}

main "$@"
