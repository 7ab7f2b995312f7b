#!/bin/sh
# Makes a streaming standby of PRIMARY in DATA and starts it (run as the postgres user on the standby host).
# pg_basebackup -R writes standby.signal and primary_conninfo; application_name must match synchronous_standby_names.
set -eu
PRIMARY=${PRIMARY:?host of the primary}
DATA=${DATA:?empty data directory for the standby}
NAME=${NAME:-standby1}
pg_basebackup -h "$PRIMARY" -U replicator -D "$DATA" -R -X stream --checkpoint=fast
echo "primary_conninfo = 'host=$PRIMARY user=replicator application_name=$NAME'" >> "$DATA/postgresql.auto.conf"
pg_ctl start -D "$DATA" -l "$DATA/standby.log"
# On the primary: SELECT application_name, state, sync_state FROM pg_stat_replication;  -> standby1 | streaming | sync
