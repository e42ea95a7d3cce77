#!/usr/bin/env bash
# Writes the idempotent migration script of one database provider with the EF tools (dotnet-ef from the local tool
# manifest), for a DBA who applies schema changes by hand:
#   scripts/migration-script.sh SqlServer artifacts/sqlserver.sql      (Sqlite | Postgres | SqlServer)
# No database is contacted: the script is generated from the migrations alone. Add --no-build after a build.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

if [[ $# -lt 2 ]]; then
  echo "usage: $0 Sqlite|Postgres|SqlServer OUTPUT.sql [--no-build]" >&2
  exit 2
fi
provider=$1 output=$2
shift 2
case "$provider" in
  Sqlite|Postgres|SqlServer) ;;
  *) echo "migration-script: unknown provider '$provider' (Sqlite, Postgres or SqlServer)" >&2; exit 2 ;;
esac

dotnet tool restore >/dev/null
mkdir -p "$(dirname "$output")"
# The app reads Database:Provider at design time exactly as at run time; the migrations are one provider-neutral history.
Database__Provider="$provider" dotnet ef migrations script --idempotent --project src/ControlPlane --output "$output" "$@"
echo "migration-script: $provider script written to $output"
