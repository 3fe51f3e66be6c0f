#!/usr/bin/env bash
# Wall time of a full `baseliner probe` of one host (common IoT ports, the whole
# curated credential list, UDP checks, every audit and the brute-force test), against
# a weak and a hardened device made of Debian's servers in a network namespace
# (the same servers as crates/cli/tests/probe_netns.rs). Needs root and ip netns.
#
#   bench/probe.sh [RUNS]        (default 3; BASELINER_BIN=... skips the release build)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
runs="${1:-3}"
if [ -z "${BASELINER_BIN:-}" ]; then
  (cd "$root" && cargo build -q --release -p baseliner)
  BASELINER_BIN="$root/target/release/baseliner"
fi
work="$(mktemp -d /tmp/baseliner-bench-probe.XXXXXX)"
dev=blbdev$$; lab=blblab$$
cleanup() {
  ip netns pids "$dev" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
  ip netns del "$dev" 2>/dev/null || true
  ip netns del "$lab" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$dev"; ip netns add "$lab"
ip link add vcb$$ netns "$lab" type veth peer name vdb$$ netns "$dev"
ip -n "$lab" addr add 10.214.0.1/24 dev vcb$$; ip -n "$dev" addr add 10.214.0.2/24 dev vdb$$
for ns in "$lab" "$dev"; do ip -n "$ns" link set lo up; done
ip -n "$lab" link set vcb$$ up; ip -n "$dev" link set vdb$$ up
host=10.214.0.2

hash=$(openssl passwd -1 -salt blbench admin)
printf 'root:x:0:0:root:/root:/bin/sh\nsshd:x:100:65534::/run/sshd:/usr/sbin/nologin\nnobody:x:65534:65534::/nonexistent:/usr/sbin/nologin\nadmin:x:1000:1000::/tmp:/bin/sh\n' > "$work/passwd"
printf 'root:!:19000::::::\nsshd:!:19000::::::\nnobody:!:19000::::::\nadmin:%s:19000:0:99999:7:::\n' "$hash" > "$work/shadow"
start() {  # run a server in the device namespace with the bench's accounts
  ( ip netns exec "$dev" unshare -m sh -c "mount --make-rprivate / && mount --bind $work/passwd /etc/passwd && mount --bind $work/shadow /etc/shadow && exec $*" >/dev/null 2>&1 & )
}
stop_all() { ip netns pids "$dev" | xargs -r kill -9 2>/dev/null || true; sleep 0.5; }
mkdir -p "$work/www"; echo '<html>device</html>' > "$work/www/index.html"; echo 'admin:admin' > "$work/users"

weak() {
  ln -sf "$(command -v busybox)" "$work/login"
  start busybox telnetd -F -p 23 -l "$work/login"
  [ -f "$work/db_rsa" ] || dropbearkey -t rsa -s 2048 -f "$work/db_rsa" >/dev/null 2>&1
  start dropbear -F -E -p 22 -r "$work/db_rsa"
  cat > "$work/weak.conf" <<CONF
server.document-root = "$work/www"
server.port = 80
server.modules = ("mod_auth", "mod_authn_file", "mod_status")
server.feature-flags = ("auth.delay-invalid-creds" => "disable")
status.status-url = "/server-status"
auth.backend = "plain"
auth.backend.plain.userfile = "$work/users"
\$HTTP["url"] !~ "^/server-status" {
  auth.require = ("/" => ("method" => "basic", "realm" => "device", "require" => "valid-user"))
}
CONF
  start lighttpd -D -f "$work/weak.conf"
  openssl req -x509 -newkey rsa:1024 -nodes -subj /CN=weak -days 30 -keyout "$work/w.key" -out "$work/w.crt" 2>/dev/null
  start openssl s_server -quiet -accept 443 -tls1 -cipher ALL:@SECLEVEL=0 -cert "$work/w.crt" -key "$work/w.key" -www
  printf 'rocommunity public\n' > "$work/snmp-weak.conf"
  start snmpd -f -Lo -C -c "$work/snmp-weak.conf" udp:$host:161
}

hardened() {
  [ -f "$work/h_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$work/h_ed25519"
  mkdir -p /run/sshd
  printf 'Port 22\nHostKey %s\nUsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nPidFile none\nKexAlgorithms curve25519-sha256\nCiphers aes256-gcm@openssh.com,chacha20-poly1305@openssh.com\nMACs hmac-sha2-256-etm@openssh.com\nHostKeyAlgorithms ssh-ed25519\n' "$work/h_ed25519" > "$work/sshd_config"
  start "$(command -v sshd)" -D -e -f "$work/sshd_config"
  printf 'server.document-root = "%s"\nserver.port = 80\nserver.tag = ""\n' "$work/www" > "$work/hard.conf"
  start lighttpd -D -f "$work/hard.conf"
  openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=ca -days 30 -keyout "$work/ca.key" -out "$work/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj /CN=device -keyout "$work/d.key" -out "$work/d.csr" 2>/dev/null
  openssl x509 -req -in "$work/d.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial -days 30 -out "$work/d.crt" 2>/dev/null
  start openssl s_server -quiet -accept 443 -no_tls1 -no_tls1_1 -cert "$work/d.crt" -key "$work/d.key" -www
  printf 'rocommunity Zr7-bench-91\n' > "$work/snmp-hard.conf"
  start snmpd -f -Lo -C -c "$work/snmp-hard.conf" udp:$host:161
}

measure() {  # name
  local times=()
  for _ in $(seq "$runs"); do
    local s e
    s=$(date +%s.%N)
    ip netns exec "$lab" "$BASELINER_BIN" probe "$host" --json "$work/$1.json" >/dev/null 2>&1 || true
    e=$(date +%s.%N)
    times+=("$(awk "BEGIN{printf \"%.1f\", $e - $s}")")
  done
  local sorted
  sorted=$(printf '%s\n' "${times[@]}" | sort -n)
  printf '%-9s runs=%s median=%ss all=[%s] findings=%s\n' "$1" "$runs" \
    "$(echo "$sorted" | sed -n "$(( (runs + 1) / 2 ))p")" "$(echo "$sorted" | tr '\n' ' ' | sed 's/ $//')" \
    "$(grep -o '"code": "NET-[0-9]*"' "$work/$1.json" | sort | uniq -c | awk '{printf "%s%s×%s", sep, $3, $1; sep=","}' | tr -d '"')"
}

echo "baseliner probe $host (common ports, full credential list), $(nproc) cores"
weak; sleep 1; measure weak; stop_all
hardened; sleep 1; measure hardened; stop_all
