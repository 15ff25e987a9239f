#!/bin/sh
# KF-002: the backing layer of a two-layer chain is reported at depth 3 under blkdebug.
qemu-img create -q -f qcow2 base.qcow2 1M
qemu-io -f qcow2 -c 'write -P 1 0 64k' base.qcow2
qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 top.qcow2
qemu-nbd -r -t -A 'json:{"driver":"blkdebug","align":512,"image":{"driver":"qcow2","file":{"driver":"file","filename":"top.qcow2"}}}' &
nbdinfo --map=qemu:allocation-depth nbd://localhost
