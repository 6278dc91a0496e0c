#!/bin/sh
# Proves the README's two commands on a fresh Debian 12: debootstraps bookworm
# (--variant=minbase, from the mirror this machine's apt uses) into DIR, puts
# a fresh `git clone` of this repository at DIR/root/moetop and a copy of
# ../shared beside it, and runs as root in a chroot, under nice:
#   sh tools/deps.sh && make run     in a tmux pane (tmux on this machine); q
#                                    once the explorer's first screen is up
#   sh tools/deps.sh && make test    to its end
# Prints how long each took and make test's last line (N passed, N failed,
# N skipped); the logs stay in DIR/root/{run,test}.log. Exit status 0 when both
# commands succeeded. /proc, /sys, /dev, /dev/pts (and /dev/shm) are mounted
# for the chroot and unmounted on exit, whatever happens.
#
# Not part of CI: it needs root, the network (the Debian mirror and the npm
# registry), about 4 GB of disk and half an hour or more on 2 cores. Of this
# machine only its network settings go into the root: proxy variables,
# NODE_EXTRA_CA_CERTS and the local CA certificates.
# Usage: sh tools/fresh-root.sh [DIR]     (default /work/fresh-root)
#   DIR must not exist, be empty, or be a root this script made (it is then
#   deleted and made again). Commits only: uncommitted changes are not in the
#   clone. MIRROR=URL overrides the mirror.
set -eu

die() { echo "fresh-root: $*" >&2; exit 2; }

[ "$(id -u)" = 0 ] || die "run as root (debootstrap and chroot need it)"
repo=$(cd "$(dirname "$0")/.." && git rev-parse --show-toplevel 2>/dev/null) || die "$(dirname "$0")/..: not a git repository"
shared=${MOETOP_SHARED:-$repo/../shared}
[ -d "$shared" ] || die "$shared: no such directory (the oracle fixtures; set MOETOP_SHARED)"
dir=${1:-/work/fresh-root}
case $dir in /*) ;; *) dir=$(pwd)/$dir ;; esac
dir=${dir%/}
case $dir in "" | *[!A-Za-z0-9/._-]*) die "$dir: give a path of letters, digits and / . _ - only" ;; esac
marker=$dir/.moetop-fresh-root

mounted() { # the mount points under $dir, deepest first
  awk -v d="$dir/" 'index($2 "/", d) == 1 { print $2 }' /proc/mounts | sort -r
}

if [ -e "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
  [ -e "$marker" ] || die "$dir: exists and was not made by this script (give another DIR)"
  [ -z "$(mounted)" ] || die "$dir: still has file systems mounted under it: $(mounted | tr '\n' ' ')"
  echo "fresh-root: removing the previous root in $dir" >&2
  rm -rf --one-file-system "$dir"
fi

# what this script itself runs on this machine
need=""
command -v debootstrap >/dev/null 2>&1 || need="$need debootstrap"
command -v tmux >/dev/null 2>&1 || need="$need tmux"
if [ -n "$need" ]; then
  echo "fresh-root: installing on this machine:$need" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >&2
fi

# the mirror apt uses here: deb822 (URIs:) or one-line (deb URL bookworm) sources
if [ -z "${MIRROR:-}" ]; then
  MIRROR=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
      /^URIs:/ { uri = $2 } /^Suites:/ && / bookworm( |$)/ && uri != "" { print uri; exit }
      /^$/ { uri = "" }')
  [ -n "$MIRROR" ] || MIRROR=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }')
  [ -n "$MIRROR" ] || MIRROR=http://deb.debian.org/debian
fi

sock=$dir.tmux
cleanup() {
  status=$?
  trap - EXIT INT TERM
  tmux -S "$sock" kill-server 2>/dev/null || true
  rm -f "$sock" "$sock.status"
  for m in $(mounted); do umount "$m" 2>/dev/null || umount -l "$m" || echo "fresh-root: could not unmount $m" >&2; done
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

t0=$(date +%s)
mkdir -p "$dir"
touch "$marker"
echo "fresh-root: debootstrap bookworm (minbase) from $MIRROR into $dir" >&2
nice debootstrap --variant=minbase bookworm "$dir" "$MIRROR" > "$dir.debootstrap.log" 2>&1 ||
  { tail -20 "$dir.debootstrap.log" >&2; die "debootstrap failed (log: $dir.debootstrap.log)"; }
mv "$dir.debootstrap.log" "$dir/root/debootstrap.log"
cp /etc/resolv.conf "$dir/etc/resolv.conf"

[ -z "$(git -C "$repo" status --porcelain --untracked-files=no)" ] ||
  echo "fresh-root: note: $repo has uncommitted changes; the clone has only what is committed" >&2
git clone --quiet "$repo" "$dir/root/moetop"
cp -a "$shared/." "$dir/root/shared"
echo "fresh-root: root ready in $(( $(date +%s) - t0 )) s: $(git -C "$dir/root/moetop" log --oneline -1)" >&2

# this machine's network settings, so the root reaches the mirror and the npm
# registry as this machine does (behind a proxy too): its proxy variables and
# NODE_EXTRA_CA_CERTS, and its local CA certificates (a TLS-inspecting proxy's,
# in /usr/local/share/ca-certificates: installing ca-certificates adds them)
carry=""
for v in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY NODE_EXTRA_CA_CERTS; do
  eval "value=\${$v:-}"
  case $value in *[!A-Za-z0-9/:._,@=+-]*) echo "fresh-root: $v not carried into the root (unusual characters)" >&2 ;;
                 ?*) carry="$carry $v=$value" ;; esac
done
if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
  mkdir -p "$dir/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$dir/usr/local/share/ca-certificates/"
fi

mount -t proc proc "$dir/proc"
mount -t sysfs sysfs "$dir/sys"
mount --bind /dev "$dir/dev"
mount --bind /dev/pts "$dir/dev/pts"
if mountpoint -q /dev/shm; then mount --bind /dev/shm "$dir/dev/shm"; fi

# the README's two commands, exactly, as root in a login-like environment
cat > "$dir/root/readme.sh" <<'EOF'
#!/bin/sh
cd /root/moetop
case $1 in
  run) sh tools/deps.sh && make run ;;
  test) sh tools/deps.sh && make test ;;
esac
EOF
PATH_IN=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
in_root() { # in_root WHICH [VARIABLE=VALUE]: the chroot, a clean environment, nice
  echo "nice -n 10 chroot $dir /usr/bin/env -i HOME=/root PATH=$PATH_IN$carry ${2:-} /bin/sh /root/readme.sh $1"
}

# 1. sh tools/deps.sh && make run: in a 120x40 tmux pane; q once the
# dashboard (the first screen) shows the router of the first token
echo "fresh-root: sh tools/deps.sh && make run" >&2
printf 'set-option -g remain-on-exit on\n' > "$sock.conf"
# the exit status goes into a file: tmux's #{pane_dead_status} was seen never
# to come under load (a SIGCHLD lost to libutempter's handler: tmux/tmux#311)
rm -f "$sock.status"
t1=$(date +%s)
tmux -S "$sock" -f "$sock.conf" new-session -d -s fresh -x 120 -y 40 \
  "$(in_root run 'TERM=$TERM'); echo \$? > '$sock.status.tmp' && mv '$sock.status.tmp' '$sock.status'"
tmux -S "$sock" pipe-pane -t fresh -o "cat >> '$dir/root/run.log'"
rm -f "$sock.conf"
screen() { tmux -S "$sock" capture-pane -p -t fresh; }
up=""
while [ $(( $(date +%s) - t1 )) -lt 3600 ] && [ ! -e "$sock.status" ]; do
  if screen | grep -q 'router: token 0 .*layer 0' && screen | tail -1 | grep -q '^ dashboard |'; then up=$(( $(date +%s) - t1 )); break; fi
  sleep 1
done
if [ -z "$up" ]; then
  screen | grep -v '^ *$' | tail -25 >&2
  die "make run: the explorer's first screen never came (exit status: $(cat "$sock.status" 2>/dev/null || echo none)); log: $dir/root/run.log"
fi
screen | grep -v '^ *$' | head -8 | sed 's/^/  | /' >&2
tmux -S "$sock" send-keys -t fresh q
while [ ! -e "$sock.status" ]; do
  [ $(( $(date +%s) - t1 - up )) -lt 120 ] || die "make run: the explorer did not quit on q"
  sleep 1
done
run_s=$(( $(date +%s) - t1 ))
s=$(cat "$sock.status")
[ "$s" = 0 ] || die "make run: exit status $s after q; log: $dir/root/run.log"
tmux -S "$sock" kill-server
echo "fresh-root: make run: first screen after ${up} s, quit with q, ${run_s} s in all" >&2

# 2. sh tools/deps.sh && make test
echo "fresh-root: sh tools/deps.sh && make test (log: $dir/root/test.log)" >&2
t2=$(date +%s)
test_status=0
$(in_root test) > "$dir/root/test.log" 2>&1 || test_status=$?
test_s=$(( $(date +%s) - t2 ))
grep -E '^\[[a-z]+\] FAIL |^FAIL ' "$dir/root/test.log" >&2 || true
counts=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$dir/root/test.log" | tail -1)
grep -E '^\[[a-z]+\] SKIP ' "$dir/root/test.log" | sed 's/^/  /' >&2 || true

echo "fresh-root: sh tools/deps.sh && make run:  ${run_s} s (first screen after ${up} s)"
echo "fresh-root: sh tools/deps.sh && make test: ${test_s} s, exit ${test_status}: ${counts:-no counts line (see the log)}"
echo "fresh-root: everything: $(( $(date +%s) - t0 )) s"
[ "$test_status" = 0 ]
