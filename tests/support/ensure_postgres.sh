#!/bin/sh
# PostgreSQL server binaries for the tests (tests/support/postgres.py finds and starts them):
# nothing to do where they are (this image has Debian's postgresql-15); else Debian's package
# (as root, with apt-get); else the `pgserver` wheel (PostgreSQL 16 binaries) in the venv.
# Under CI a machine where none can be had fails here, never by skipping the tests.
# Usage: sh tests/support/ensure_postgres.sh .venv/bin/python
set -eu
PY="$1"
found() {
    "$PY" -c 'import sys; from tests.support.postgres import find_bindir; b = find_bindir(); print(b or ""); sys.exit(0 if b else 1)'
}
if bindir=$(found); then
    echo "PostgreSQL for the tests: $bindir"
    exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "PostgreSQL for the tests: installing Debian's postgresql"
    apt-get update -qq || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql \
        >/dev/null || true
    if bindir=$(found); then echo "PostgreSQL for the tests: $bindir"; exit 0; fi
fi
echo "PostgreSQL for the tests: installing the pgserver wheel"
"$PY" -m pip install --quiet pgserver || true
if bindir=$(found); then echo "PostgreSQL for the tests: $bindir"; exit 0; fi
echo "PostgreSQL for the tests: no server binaries could be installed" >&2
if [ -n "${CI:-}" ]; then exit 1; fi
