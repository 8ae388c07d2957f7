#!/usr/bin/env bash
# Installs PostgreSQL 15 (Debian's packages, when missing), FerretDB (built from the Go module
# proxy) and the Kafka broker jars (Maven Central) into the cache folder.
# Idempotent: a second run finds all three and returns at once.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

install_ferretdb() {
  if [[ -x "$FERRETDB_BIN" ]] && [[ "$(cat "$CACHE_DIR/bin/ferretdb.version" 2>/dev/null)" == "$FERRETDB_VERSION" ]]; then
    return
  fi
  command -v go >/dev/null || { log "Go is required to build FerretDB (go install)"; exit 1; }
  log "building FerretDB $FERRETDB_VERSION from the Go module proxy (first start only)"
  # A plain `go install ...@version` builds a binary that panics at start: the module ships without
  # build/version/version.txt, which FerretDB's release tooling writes from `git describe`.
  # So: fetch the module, write that file into a copy, and build cmd/ferretdb from the copy.
  local module_dir src="$CACHE_DIR/src/ferretdb"
  module_dir="$(go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
  [[ -d "$module_dir" ]] || { log "could not download the FerretDB module"; exit 1; }
  rm -rf "$src"
  mkdir -p "$(dirname "$src")" "$CACHE_DIR/bin"
  cp -r "$module_dir" "$src"
  chmod -R u+w "$src"
  echo "$FERRETDB_VERSION" >"$src/build/version/version.txt"
  (cd "$src" && go build -trimpath -o "$FERRETDB_BIN" ./cmd/ferretdb)
  rm -rf "$src"
  echo "$FERRETDB_VERSION" >"$CACHE_DIR/bin/ferretdb.version"
}

install_kafka() {
  local stamp="$KAFKA_LIBS/.pom.sha"
  local want
  want="$(sha256sum "$INFRA_DIR/kafka/pom.xml" | cut -d' ' -f1)"
  if [[ -f "$stamp" ]] && [[ "$(cat "$stamp")" == "$want" ]]; then
    return
  fi
  command -v mvn >/dev/null || { log "Maven is required to fetch the Kafka broker"; exit 1; }
  command -v java >/dev/null || { log "Java 17+ is required to run the Kafka broker"; exit 1; }
  log "resolving the Kafka broker from Maven Central (first start only)"
  rm -rf "$KAFKA_LIBS"
  mkdir -p "$KAFKA_LIBS"
  # Quiet Maven still prints bare colour resets; only its real messages reach the console.
  mvn -q -B -f "$INFRA_DIR/kafka/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$KAFKA_LIBS" 2>&1 | sed -e 's/\x1b\[[0-9;]*m//g' -e '/^$/d' >&2
  echo "$want" >"$stamp"
}

install_postgres() {
  if [[ -x "$(pg_bin postgres)" ]] && [[ -x "$(pg_bin initdb)" ]]; then return; fi
  if [[ "$(id -u)" -ne 0 ]]; then
    log "PostgreSQL $PG_MAJOR is missing: install Debian's postgresql-$PG_MAJOR (as root: apt-get install postgresql-$PG_MAJOR)"
    exit 1
  fi
  log "installing PostgreSQL $PG_MAJOR from Debian's packages (first start only)"
  # The package would start a cluster of its own on port 5432; ours runs on its own port instead.
  local policy=/usr/sbin/policy-rc.d created_policy=false
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=true
  fi
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "postgresql-$PG_MAJOR" >&2
  if [[ "$created_policy" == true ]]; then rm -f "$policy"; fi
  [[ -x "$(pg_bin postgres)" ]] || { log "PostgreSQL $PG_MAJOR did not install"; exit 1; }
}

install_postgres
install_ferretdb
install_kafka
