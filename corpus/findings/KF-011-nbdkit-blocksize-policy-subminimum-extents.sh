#!/bin/sh
# KF-011: nbdkit blocksize-policy advertises a 4096-byte minimum block size and passes
# 512-byte extents from qemu-nbd through.
qemu-img create -q -f qcow2 -o cluster_size=512 back.qcow2 1M
qemu-io -f qcow2 -c 'write -P 1 0 512' -c 'write -P 1 1k 512' back.qcow2
qemu-img create -q -f qcow2 -F qcow2 -b back.qcow2 top.qcow2
qemu-nbd -r -t -k "$PWD/q.sock" -f qcow2 top.qcow2 &
nbdkit -U "$PWD/k.sock" --filter=blocksize-policy nbd socket="$PWD/q.sock" blocksize-minimum=4096
nbdinfo "nbd+unix:///?socket=$PWD/k.sock" | grep block_size_minimum
nbdinfo --map "nbd+unix:///?socket=$PWD/k.sock"
