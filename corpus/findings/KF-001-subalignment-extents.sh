#!/bin/sh
# KF-001: qemu-nbd advertises a 4096-byte minimum block size and sends 512-byte extents.
qemu-img create -q -f qcow2 -o cluster_size=512 back.qcow2 100M
qemu-io -f qcow2 -c 'write -P 1 0 512' -c 'write -P 1 1k 512' back.qcow2
qemu-img create -q -f qcow2 -F qcow2 -b back.qcow2 -o cluster_size=1M top.qcow2
qemu-nbd -r -t -A --image-opts driver=blkdebug,image.driver=qcow2,image.file.driver=file,image.file.filename=top.qcow2,align=4k &
nbdinfo --map nbd://localhost
nbdinfo --map=qemu:allocation-depth nbd://localhost
