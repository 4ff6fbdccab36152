#!/usr/bin/env bash
# A local Trino 476 for pyflow's live tests (no Docker): scripts/trino.sh start|stop|status
#
#   start   fetch Trino 476 with Maven by coordinates (core tarball + memory, iceberg, hive
#           plugins; Maven's ~/.m2 makes a second fetch free), write etc/ (three catalogs:
#           memory, iceberg, hive, all local), start it on loopback with a Java 24+ JDK, wait
#           until /v1/info says starting:false, print how to connect. A server already
#           answering on the host and port is reused (and never stopped by this script).
#   stop    stop the server this script started (by its pid file), and nothing else.
#   status  say whether a server answers, and whether this script started it.
#
# Settings (environment):
#   PYFLOW_TRINO_HOME     install, config, data and warehouse folder   (~/.cache/pyflow-trino)
#   PYFLOW_TRINO_HOST     loopback address to bind and connect to      (127.0.0.1)
#   PYFLOW_TRINO_PORT     HTTP port                                    (18080: clear of the usual 8080)
#   PYFLOW_TRINO_HEAP     JVM -Xmx                                     (2G)
#   PYFLOW_TRINO_TIMEOUT  seconds to wait for the server to be ready   (300)
#   JAVA_HOME             a JDK >= 24 (default: the newest one found under /usr/lib/jvm)
# The tests find the server through PYFLOW_TRINO_URL (http://127.0.0.1:18080 when unset).
set -euo pipefail

VERSION=476
HOME_DIR="${PYFLOW_TRINO_HOME:-${HOME}/.cache/pyflow-trino}"
HOST="${PYFLOW_TRINO_HOST:-127.0.0.1}"
PORT="${PYFLOW_TRINO_PORT:-18080}"
HEAP="${PYFLOW_TRINO_HEAP:-2G}"
TIMEOUT="${PYFLOW_TRINO_TIMEOUT:-300}"
URL="http://${HOST}:${PORT}"
SERVER="${HOME_DIR}/trino-server-${VERSION}"
ETC="${HOME_DIR}/etc"
DATA="${HOME_DIR}/data"
WAREHOUSE="${HOME_DIR}/warehouse"
PIDFILE="${HOME_DIR}/trino.pid"
PLUGINS=(memory iceberg hive)

say() { printf 'trino.sh: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

info() { curl -fsS --max-time 5 "${URL}/v1/info" 2>/dev/null; }
is_ready() { info | grep -q '"starting":false'; }
answers() { info >/dev/null; }

our_pid() {
    # the pid in our pid file, when that process still runs
    [[ -s "${PIDFILE}" ]] || return 1
    local pid
    pid="$(tr -dc '0-9' <"${PIDFILE}")"
    [[ -n "${pid}" ]] && kill -0 "${pid}" 2>/dev/null && printf '%s\n' "${pid}"
}

find_java() {
    # JAVA_HOME when it is 24+, else the newest JDK >= 24 under /usr/lib/jvm
    local candidates=() home major best="" best_major=0
    [[ -n "${JAVA_HOME:-}" ]] && candidates+=("${JAVA_HOME}")
    for home in /usr/lib/jvm/*; do [[ -d "${home}" && ! -L "${home}" ]] && candidates+=("${home}"); done
    for home in "${candidates[@]}"; do
        [[ -x "${home}/bin/java" ]] || continue
        major="$("${home}/bin/java" -XshowSettings:properties -version 2>&1 |
            sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p')"
        [[ -n "${major}" ]] || continue
        if ((major >= 24 && major > best_major)); then best="${home}"; best_major="${major}"; fi
    done
    [[ -n "${best}" ]] || die "Trino ${VERSION} needs Java 24 or newer; none found in JAVA_HOME or /usr/lib/jvm (install e.g. Temurin 25 and set JAVA_HOME)"
    printf '%s\n' "${best}"
}

fetch() {
    # unpack the core server and the plugins once; Maven caches the downloads in ~/.m2
    [[ -x "${SERVER}/bin/launcher" && -d "${SERVER}/plugin/hive" ]] && return 0
    command -v mvn >/dev/null || die "mvn is needed to fetch Trino ${VERSION} (apt-get install maven)"
    local dl="${HOME_DIR}/download" artifact
    mkdir -p "${dl}"
    for artifact in "io.trino:trino-server-core:${VERSION}:tar.gz" \
        "io.trino:trino-memory:${VERSION}:zip" "io.trino:trino-iceberg:${VERSION}:zip" \
        "io.trino:trino-hive:${VERSION}:zip"; do
        say "fetching ${artifact}"
        mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:3.11.0:copy \
            -Dstyle.color=never -Dartifact="${artifact}" -DoutputDirectory="${dl}" ||
            die "Maven could not fetch ${artifact} (network? ~/.m2/settings.xml?)"
    done
    rm -rf "${SERVER}.partial"
    mkdir -p "${SERVER}.partial"
    tar -xzf "${dl}/trino-server-core-${VERSION}.tar.gz" -C "${SERVER}.partial" --strip-components=1
    mkdir -p "${SERVER}.partial/plugin"
    local name
    for name in "${PLUGINS[@]}"; do
        unzip -q -o "${dl}/trino-${name}-${VERSION}.zip" -d "${SERVER}.partial/plugin"
        mv "${SERVER}.partial/plugin/trino-${name}-${VERSION}" "${SERVER}.partial/plugin/${name}"
    done
    rm -rf "${SERVER}"
    mv "${SERVER}.partial" "${SERVER}"
    rm -rf "${dl}"
}

write_config() {
    mkdir -p "${ETC}/catalog" "${DATA}" "${WAREHOUSE}"
    cat >"${ETC}/node.properties" <<EOF
node.environment=test
node.id=pyflow_test_1
node.data-dir=${DATA}
node.bind-ip=${HOST}
node.internal-address=${HOST}
EOF
    cat >"${ETC}/config.properties" <<EOF
coordinator=true
node-scheduler.include-coordinator=true
http-server.http.port=${PORT}
discovery.uri=http://${HOST}:${PORT}
experimental.concurrent-startup=true
query.max-memory=1GB
query.max-memory-per-node=1GB
EOF
    # no -XX:GCLockerRetryAllocationCount: Java 25 refuses to start with it
    cat >"${ETC}/jvm.config" <<EOF
-server
-Xmx${HEAP}
-XX:+UseG1GC
-XX:G1HeapRegionSize=32M
-XX:+ExplicitGCInvokesConcurrent
-XX:+ExitOnOutOfMemoryError
-XX:-OmitStackTraceInFastThrow
-XX:ReservedCodeCacheSize=256M
-XX:PerMethodRecompilationCutoff=10000
-XX:PerBytecodeRecompilationCutoff=10000
-Djdk.attach.allowAttachSelf=true
-Djdk.nio.maxCachedBufferSize=2000000
-Dfile.encoding=UTF-8
-XX:+EnableDynamicAgentLoading
--add-modules=jdk.incubator.vector
EOF
    cat >"${ETC}/log.properties" <<EOF
io.trino=WARN
io.trino.server.Server=INFO
EOF
    cat >"${ETC}/catalog/memory.properties" <<EOF
connector.name=memory
memory.max-data-per-node=512MB
EOF
    cat >"${ETC}/catalog/iceberg.properties" <<EOF
connector.name=iceberg
iceberg.catalog.type=TESTING_FILE_METASTORE
hive.metastore.catalog.dir=local:///iceberg_metastore
fs.native-local.enabled=true
local.location=${WAREHOUSE}
iceberg.file-format=PARQUET
EOF
    cat >"${ETC}/catalog/hive.properties" <<EOF
connector.name=hive
hive.metastore=file
hive.metastore.catalog.dir=local:///hive_metastore
fs.native-local.enabled=true
local.location=${WAREHOUSE}
hive.storage-format=PARQUET
hive.non-managed-table-writes-enabled=true
EOF
}

launcher() {
    "${SERVER}/bin/launcher" "$@" --etc-dir "${ETC}" --data-dir "${DATA}" --pid-file "${PIDFILE}" \
        --launcher-log-file "${DATA}/var/log/launcher.log" --server-log-file "${DATA}/var/log/server.log"
}

print_connect() {
    # the settings that differ from the defaults, so `stop` finds the same server
    local ENV_PREFIX=""
    if [[ "${PORT}" != 18080 ]]; then ENV_PREFIX+="PYFLOW_TRINO_PORT=${PORT} "; fi
    if [[ -n "${PYFLOW_TRINO_HOME:-}" ]]; then ENV_PREFIX+="PYFLOW_TRINO_HOME=${HOME_DIR} "; fi
    cat <<EOF
Trino ${VERSION} is ready at ${URL} (catalogs: memory, iceberg, hive)
  tests:     export PYFLOW_TRINO_URL=${URL}; python -m pytest -m trino
  python:    trino.dbapi.connect(host="${HOST}", port=${PORT}, user="pyflow", catalog="memory")
  profile:   type: trino, host: ${HOST}, port: ${PORT}, catalog: iceberg, schema: <yours>
  logs:      ${DATA}/var/log/server.log
  stop:      ${ENV_PREFIX}scripts/trino.sh stop
EOF
}

start() {
    if answers; then
        if our_pid >/dev/null; then say "the server this script started is already running"; else
            say "reusing the server already answering at ${URL} (not started here: stop leaves it alone)"
        fi
    else
        # fail before fetching when Java is missing
        local java_home
        java_home="$(find_java)"
        mkdir -p "${HOME_DIR}"
        fetch
        write_config
        rm -f "${PIDFILE}"
        mkdir -p "${DATA}/var/log"
        say "starting Trino ${VERSION} on ${URL} with $("${java_home}/bin/java" -version 2>&1 | head -1)"
        JAVA_HOME="${java_home}" PATH="${java_home}/bin:${PATH}" launcher start >/dev/null ||
            die "the launcher failed; see ${DATA}/var/log/launcher.log and ${DATA}/var/log/server.log"
    fi
    local waited=0
    until is_ready; do
        if ((waited >= TIMEOUT)); then
            tail -n 40 "${DATA}/var/log/server.log" >&2 2>/dev/null || true
            die "Trino did not become ready at ${URL} within ${TIMEOUT}s (log: ${DATA}/var/log/server.log)"
        fi
        if [[ -s "${PIDFILE}" ]] && ! our_pid >/dev/null && ! answers; then
            tail -n 40 "${DATA}/var/log/server.log" >&2 2>/dev/null || true
            die "Trino exited while starting (log: ${DATA}/var/log/server.log)"
        fi
        sleep 2
        waited=$((waited + 2))
    done
    sleep 2 # as Trino's own client tests do: the first query right after ready can still fail
    print_connect
}

stop() {
    local pid
    if ! pid="$(our_pid)"; then
        rm -f "${PIDFILE}"
        if answers; then say "the server at ${URL} was not started by this script: left running"; else
            say "no server started by this script is running"
        fi
        return 0
    fi
    say "stopping Trino (pid ${pid})"
    launcher stop >/dev/null 2>&1 || kill "${pid}" 2>/dev/null || true
    local waited=0
    while kill -0 "${pid}" 2>/dev/null; do
        if ((waited >= 60)); then say "pid ${pid} still running after 60s: killing it"; kill -9 "${pid}" 2>/dev/null || true; fi
        sleep 1
        waited=$((waited + 1))
    done
    rm -f "${PIDFILE}"
}

status() {
    if is_ready; then
        if our_pid >/dev/null; then say "running at ${URL} (pid $(our_pid), started by this script)"; else
            say "a server answers at ${URL} (not started by this script)"
        fi
    elif answers; then
        say "starting at ${URL}"
    elif our_pid >/dev/null; then
        say "pid $(our_pid) runs but ${URL} does not answer yet"
    else
        say "not running (${URL})"
        return 3
    fi
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) status ;;
*)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
