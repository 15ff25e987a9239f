# rule: past the end of a shorter backing file the overlay reads zeroes allocated in the backing layer: allocation depth 2, but qemu-img map says absent at depth 0 (KF-004).
# expect: findings KF-006
qemu-img create -f qcow2 base.qcow2 1M
qemu-io -f qcow2 -c 'write -P 1 0 64k' base.qcow2
qemu-img create -f qcow2 -b base.qcow2 -F qcow2 top.qcow2 2M
qemu-img map --output=json -f qcow2 top.qcow2
qemu-nbd -r -t -A -f qcow2 top.qcow2 &
nbdinfo --map=qemu:allocation-depth nbd://localhost
