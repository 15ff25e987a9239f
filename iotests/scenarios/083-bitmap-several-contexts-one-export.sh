# rule: one export serves base:allocation, qemu:allocation-depth and several bitmaps, one found in the backing layer through the chain (nbd_export_create walks bdrv_filter_or_cow_bs); a write marks only the layer written (the question seed 000 left to clients: merge these contexts client-side).
qemu-img create -f qcow2 base.qcow2 1M
qemu-img bitmap --add base.qcow2 old
qemu-io -f qcow2 -c 'write -P 1 0 128k' base.qcow2
qemu-img create -f qcow2 -o cluster_size=4k -b base.qcow2 -F qcow2 top.qcow2
qemu-img bitmap --add -g 4k top.qcow2 new
qemu-img bitmap --add top.qcow2 since-start
qemu-io -f qcow2 -c 'write -P 2 64k 8k' -c 'write -z 512k 4k' top.qcow2
qemu-nbd -r -t -A -B new -B since-start -B old -f qcow2 top.qcow2 &
nbdinfo --map nbd://localhost
nbdinfo --map=qemu:allocation-depth nbd://localhost
nbdinfo --map=qemu:dirty-bitmap:new nbd://localhost
nbdinfo --map=qemu:dirty-bitmap:since-start nbd://localhost
nbdinfo --map=qemu:dirty-bitmap:old nbd://localhost
