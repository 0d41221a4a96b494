#!/usr/bin/env bash
# lariat across two hosts: two network namespaces made here, joined by a
# veth pair on a private /24, each with its own host name (unshare --uts), and
# mpirun starting 2 ranks on each over TCP through an rsh agent that enters
# the namespaces (PLATFORM.md). A fit and a CV on CSV data, and gen plus a fit
# on HDF5 data (MPI-IO from both hosts), must match the same runs on one host
# to 1e-9. Only addresses inside the namespaces made here are used; they are
# removed on every exit. Needs root (network namespaces): otherwise exits 77,
# which ctest reports as skipped.
source "$(dirname "$0")/common.sh"

if [ "$(id -u)" -ne 0 ]; then
    echo "SKIPPED: the multi-host test makes network namespaces, which needs root"
    exit 77
fi
command -v ip >/dev/null || fail "ip (iproute2) is not installed (.ci/setup installs it)"
command -v unshare >/dev/null || fail "unshare (util-linux) is not installed"

# Names unique to this run (interface names have at most 15 characters), so
# that two runs on one machine do not meet; the subnet exists only inside
# this run's namespaces.
tag=$$
NS_A="lariat-a-$tag"
NS_B="lariat-b-$tag"
IF_A="lra$tag"
IF_B="lrb$tag"
SUBNET=10.213.7.0/24
ADDR_A=10.213.7.1
ADDR_B=10.213.7.2

# Ends what runs inside the namespaces (started by this test), then removes
# them; deleting a namespace deletes its end of the veth pair, and the pair.
cleanup() {
    for ns in "$NS_A" "$NS_B"; do
        if ip netns list | grep -qw "$ns"; then
            for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
            ip netns delete "$ns" 2>/dev/null || true
        fi
    done
    ip link delete "$IF_A" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

ip netns add "$NS_A" || fail "cannot make network namespace $NS_A"
ip netns add "$NS_B" || fail "cannot make network namespace $NS_B"
ip link add "$IF_A" type veth peer name "$IF_B" || fail "cannot make a veth pair"
ip link set "$IF_A" netns "$NS_A"
ip link set "$IF_B" netns "$NS_B"
ip -n "$NS_A" addr add "$ADDR_A/24" dev "$IF_A"
ip -n "$NS_B" addr add "$ADDR_B/24" dev "$IF_B"
for ns in "$NS_A" "$NS_B"; do
    ip -n "$ns" link set lo up
done
ip -n "$NS_A" link set "$IF_A" up
ip -n "$NS_B" link set "$IF_B" up

# The rsh agent: mpirun calls it as `agent HOST COMMAND...` to start its
# daemon on HOST; it runs COMMAND in that host's namespace under its own
# host name (two ranks that see one host name would try shared memory).
AGENT="$WORK/agent.sh"
cat >"$AGENT" <<EOF
#!/bin/sh
host=\$1
shift
case "\$host" in
$ADDR_A) ns=$NS_A name=lariat-a ;;
$ADDR_B) ns=$NS_B name=lariat-b ;;
*) echo "agent.sh: unknown host \$host" >&2; exit 1 ;;
esac
exec ip netns exec "\$ns" unshare --uts sh -c "hostname \$name && \$*"
EOF
chmod +x "$AGENT"

# two_hosts ARGS...: lariat on 2 + 2 ranks of hosts a and b, mpirun itself on
# host a; sets $rc, writes $WORK/out and $WORK/err.
two_hosts() {
    rc=0
    timeout 90 ip netns exec "$NS_A" unshare --uts sh -c 'hostname lariat-a && exec "$@"' sh \
        "$MPIEXEC" -n 4 --host "$ADDR_A:2,$ADDR_B:2" --mca plm_rsh_agent "$AGENT" \
        --mca pml ob1 --mca btl tcp,self --mca btl_tcp_if_include "$SUBNET" --mca oob_tcp_if_include "$SUBNET" \
        "$LARIAT" "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
}

# same_models A B WHAT: intercept, coefficients, lambda and (when present)
# the CV table of two models agree to 1e-9 (relative, common.sh).
same_models() {
    local d
    for field in '.intercept' '.lambda' '.coef[]' '[.cv.table[]? | .cvm, .cvsd] | .[]'; do
        jq -r "$field" "$1" >"$WORK/a.txt"
        jq -r "$field" "$2" >"$WORK/b.txt"
        [ -s "$WORK/a.txt" ] || [ "$field" != '.coef[]' ] || fail "$3: no coefficients"
        [ -s "$WORK/a.txt" ] || continue
        d=$(max_rel_diff "$WORK/a.txt" "$WORK/b.txt")
        close_enough "$d" 1e-9 || fail "$3: $field differs by $d between two hosts and one"
    done
}

# Fit (a path) and CV on the diabetes data: two hosts against one.
run 4 fit --data "$DIABETES" --label y --alpha 0.5 --out one-fit.json
expect 0 "fit on one host"
two_hosts fit --data "$DIABETES" --label y --alpha 0.5 --out two-fit.json
expect 0 "fit on two hosts"
grep -q "4 ranks" "$WORK/out" || fail "fit on two hosts: not 4 ranks"
same_models one-fit.json two-fit.json "fit"

run 4 cv --data "$DIABETES" --label y --alpha 0.2,1 --nfolds 5 --out one-cv.json
expect 0 "cv on one host"
two_hosts cv --data "$DIABETES" --label y --alpha 0.2,1 --nfolds 5 --out two-cv.json
expect 0 "cv on two hosts"
same_models one-cv.json two-cv.json "cv"
jq -e '.cv.table | length > 2' two-cv.json >/dev/null || fail "cv on two hosts: no CV table"

# HDF5 written and read by ranks on both hosts (MPI-IO on the file system
# they share): the data give the same model as the one-host copy.
run 4 gen --rows 2000 --features 12 --nonzero 4 --seed 3 --out one.h5
expect 0 "gen hdf5 on one host"
two_hosts gen --rows 2000 --features 12 --nonzero 4 --seed 3 --out two.h5
expect 0 "gen hdf5 on two hosts"
run 4 fit --data one.h5 --alpha 0.7 --nlambda 20 --out one-h5.json
expect 0 "fit hdf5 on one host"
two_hosts fit --data two.h5 --alpha 0.7 --nlambda 20 --out two-h5.json
expect 0 "fit hdf5 on two hosts"
same_models one-h5.json two-h5.json "fit on hdf5"
jq -e '.n_samples == 2000 and .ranks == 4' two-h5.json >/dev/null || fail "fit hdf5 on two hosts: wrong shape"
echo "multihost: ok"
