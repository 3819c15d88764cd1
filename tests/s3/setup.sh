#!/usr/bin/env bash
# Start a real S3 server for the log store tests: Ceph's RADOS Gateway (Debian's radosgw) on a one-node
# cluster (one monitor, one OSD keeping objects in memory), answering on 127.0.0.1:$PORT with known keys.
# Installs the packages once; a second run with the gateway up does nothing. Prints the CIRCLE_TEST_S3_URL
# (http://ACCESS:SECRET@127.0.0.1:PORT/BUCKET; the bucket is made here: the tests each use a prefix of it).
# Usage: bash tests/s3/setup.sh [PORT] [DIR]   (defaults 7480, /var/lib/circle-ci-s3)
set -euo pipefail
PORT=${1:-7480}
DIR=${2:-/var/lib/circle-ci-s3}
MON_PORT=$((PORT + 9309))
ACCESS=circle-ci
SECRET=circle-ci-secret
BUCKET=circle-test
URL="http://$ACCESS:$SECRET@127.0.0.1:$PORT/$BUCKET"

answers() { curl -s -o /dev/null -m 2 "http://127.0.0.1:$PORT/"; }
if answers; then echo "$URL"; exit 0; fi

if ! command -v radosgw >/dev/null || ! command -v ceph-osd >/dev/null || ! command -v ceph-mon >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends radosgw ceph-mon ceph-osd >/dev/null
fi

# Objects live in the OSD's memory, so every start makes a new cluster.
# Stop what an earlier start left (its pid files), waiting until each is gone.
for file in "$DIR"/*.pid; do
  [ -e "$file" ] || continue
  pid=$(cat "$file")
  grep -qaE '^(ceph-mon|ceph-osd|radosgw)' "/proc/$pid/cmdline" 2>/dev/null || continue  # gone, or reused
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -9 "$pid" 2>/dev/null || true
done
rm -rf "$DIR"
mkdir -p "$DIR/mon.a" "$DIR/osd.0" "$DIR/rgw"
FSID=$(python3 -c 'import uuid; print(uuid.uuid4())')
OSD_UUID=$(python3 -c 'import uuid; print(uuid.uuid4())')
cat > "$DIR/ceph.conf" <<CONF
[global]
fsid = $FSID
mon host = v1:127.0.0.1:$MON_PORT
public network = 127.0.0.0/8
auth cluster required = none
auth service required = none
auth client required = none
run dir = $DIR
admin socket = $DIR/\$name.asok
log file = $DIR/\$name.log
pid file = $DIR/\$name.pid
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd crush chooseleaf type = 0
mon allow pool size one = true
mon max pg per osd = 1000
mon data avail warn = 1
mon data avail crit = 0
osd objectstore = memstore
memstore device bytes = 2147483648
ms bind ipv6 = false
[mon.a]
mon data = $DIR/mon.a
[osd.0]
osd data = $DIR/osd.0
# Its crush entry is added below. Left on, the OSD's start asks the monitor itself, and on some machines that
# request goes out before it knows the cluster's fsid: the monitor refuses it ('wrong fsid') and the OSD exits.
osd crush update on start = false
osd class update on start = false
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$PORT
rgw data = $DIR/rgw
CONF
export CEPH_CONF=$DIR/ceph.conf
monmaptool --create --add a "v1:127.0.0.1:$MON_PORT" --fsid "$FSID" "$DIR/monmap" >/dev/null
ceph-mon --mkfs -i a --monmap "$DIR/monmap"
ceph-mon -i a
# A monitor just started may refuse the first commands (EPERM) until it has settled: ask again for up to 60 s.
for _ in $(seq 1 60); do timeout 10 ceph osd create "$OSD_UUID" 0 >/dev/null 2>&1 && break; sleep 1; done
ceph-osd -i 0 --mkfs --osd-uuid "$OSD_UUID" 2>"$DIR/osd-mkfs.log" || { cat "$DIR/osd-mkfs.log" >&2; exit 1; }
timeout 60 ceph osd crush add osd.0 1 root=default >/dev/null 2>&1
ceph-osd -i 0 2>"$DIR/osd-start.log" || { cat "$DIR/osd-start.log" >&2; exit 1; }
radosgw -n client.rgw
timeout 120 radosgw-admin user create --uid circle-ci --display-name "circle CI" \
  --access-key "$ACCESS" --secret-key "$SECRET" >/dev/null
for _ in $(seq 1 240); do answers && break; sleep 0.25; done
EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  # curl 7.88 signs it only when given
curl -sf -m 60 -X PUT --aws-sigv4 "aws:amz:us-east-1:s3" --user "$ACCESS:$SECRET" \
  -H "x-amz-content-sha256: $EMPTY_SHA256" "http://127.0.0.1:$PORT/$BUCKET" \
  >/dev/null || { echo "the S3 server (radosgw) on 127.0.0.1:$PORT did not make bucket $BUCKET; see $DIR/*.log" >&2
                  exit 1; }
echo "$URL"
