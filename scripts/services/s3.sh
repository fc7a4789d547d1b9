#!/usr/bin/env bash
# An S3 server that enforces object lock, on 127.0.0.1 for the storage tests:
# Ceph's RADOS Gateway (Debian packages radosgw, ceph-mon, ceph-osd, ceph-common)
# over one monitor and one memstore OSD, authentication off.  Exits 0 at once if
# the gateway already answers; otherwise starts a fresh cluster (memstore keeps
# nothing across restarts anyway), creates the test user and waits until a bucket
# can be created.  The endpoint and credentials are the defaults the tests use.
set -euo pipefail

DIR=${EDOSSIER_CEPH_DIR:-/var/tmp/edossier-ceph}
RGW_PORT=${EDOSSIER_S3_PORT:-7480}
MON_V2=${EDOSSIER_CEPH_MON_PORT:-3300}
MON_V1=$((MON_V2 + 3489))            # 6789 next to the default 3300
ACCESS_KEY=${EDOSSIER_S3_TEST_ACCESS_KEY:-edossier-test}
SECRET_KEY=${EDOSSIER_S3_TEST_SECRET_KEY:-edossier-test-secret}

up() { curl -s -o /dev/null --max-time 2 "http://127.0.0.1:${RGW_PORT}/"; }
# a gateway started by an older version of this script (without tcp_nodelay) is replaced
if up && grep -q "tcp_nodelay=1" "$DIR/ceph.conf" 2>/dev/null; then exit 0; fi

if ! command -v radosgw >/dev/null || ! command -v ceph-osd >/dev/null; then
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
    radosgw ceph-mon ceph-osd ceph-common >/dev/null
fi

# Stop what an earlier run of this script left behind (by its pid files only).
for pidfile in "$DIR"/run/*.pid; do
  [ -e "$pidfile" ] || continue
  pid=$(cat "$pidfile" 2>/dev/null || true)
  case "$(cat "/proc/$pid/comm" 2>/dev/null)" in
    ceph-mon|ceph-osd|radosgw) kill "$pid" ;;
  esac
done
sleep 0.5
rm -rf "$DIR"
mkdir -p "$DIR"/{run,log,mon,osd}
CONF="$DIR/ceph.conf"
FSID=$(cat /proc/sys/kernel/random/uuid)

cat >"$CONF" <<CONF
[global]
fsid = $FSID
mon host = [v2:127.0.0.1:${MON_V2},v1:127.0.0.1:${MON_V1}]
public network = 127.0.0.1/32
auth cluster required = none
auth service required = none
auth client required = none
# with authentication off the default 'secure' mode makes every client hang
ms mon client mode = crc
ms client mode = crc
ms cluster mode = crc
ms service mode = crc
ms mon cluster mode = crc
ms mon service mode = crc
run dir = $DIR/run
pid file = $DIR/run/\$name.pid
admin socket = $DIR/run/\$name.asok
log file = $DIR/log/\$name.log
osd objectstore = memstore
memstore device bytes = 2147483648
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = false
mon warn on pool no redundancy = false
mon max pg per osd = 1000
osd max object name len = 256
osd max object namespace len = 64

[mon.a]
mon data = $DIR/mon/a

[osd.0]
osd data = $DIR/osd/0
keyring = $DIR/osd/0/keyring

[client.rgw]
# tcp_nodelay: without it every response with a body (a listing) waits ~40 ms for the
# client's delayed ACK (Nagle), which made each sealed object cost ~90 ms of waiting
rgw frontends = beast endpoint=127.0.0.1:${RGW_PORT} tcp_nodelay=1
rgw data = $DIR/rgw
rgw dns name = 127.0.0.1
CONF

cd "$DIR"
monmaptool --create --fsid "$FSID" --addv a "[v2:127.0.0.1:${MON_V2},v1:127.0.0.1:${MON_V1}]" \
  "$DIR/monmap" >/dev/null
ceph-authtool --create-keyring "$DIR/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-mon -c "$CONF" --mkfs -i a --monmap "$DIR/monmap" --keyring "$DIR/mon.keyring"
ceph-mon -c "$CONF" -i a

ceph() { command ceph -c "$CONF" --connect-timeout 30 "$@"; }
ceph osd create >/dev/null
mkdir -p "$DIR/osd/0" "$DIR/rgw"
ceph-osd -c "$CONF" -i 0 --mkfs >"$DIR/log/osd-mkfs.log" 2>&1
ceph-osd -c "$CONF" -i 0
for _ in $(seq 1 120); do
  ceph osd stat 2>/dev/null | grep -q "1 up" && break
  sleep 0.5
done

radosgw -c "$CONF" -n client.rgw
radosgw-admin -c "$CONF" user create --uid=edossier-test --display-name="edossier tests" \
  --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" >/dev/null

for _ in $(seq 1 240); do
  if up; then exit 0; fi
  sleep 0.5
done
echo "the RADOS Gateway did not come up on 127.0.0.1:${RGW_PORT}; see $DIR/log" >&2
exit 1
