# rule: past the end of a backing file that is short two layers down, the zeroes the guest reads count as allocated in that short layer (allocation depth 3, as bdrv_co_common_block_status_above says), but qemu-img map says absent at depth 1, the layer above the short one (KF-006 at depth 1: qemu-img's get_block_status walks one layer at a time). From campaign seed 5.
# requires: nbdinfo
# expect: findings KF-006
qemu-img create -f qcow2 base.qcow2 128k
qemu-io -f qcow2 -c 'write -P 1 0 64k' base.qcow2
qemu-img create -f qcow2 -b base.qcow2 -F qcow2 mid.qcow2 1M
qemu-img create -f qcow2 -b mid.qcow2 -F qcow2 top.qcow2
qemu-img map --output=json -f qcow2 top.qcow2
qemu-nbd -r -t -A -f qcow2 top.qcow2 &
nbdinfo --map=qemu:allocation-depth nbd://localhost
