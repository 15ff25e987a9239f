# rule: qemu-img commit is a mirror into the base: top data is copied, a top zero cluster over base data becomes a zero cluster in the base, and the top is emptied (every cluster unallocated, backing unchanged).
qemu-img create -f qcow2 base.qcow2 1M
qemu-io -f qcow2 -c 'write -P 1 0 128k' base.qcow2
qemu-img create -f qcow2 -b base.qcow2 -F qcow2 top.qcow2
qemu-io -f qcow2 -c 'write -z 0 64k' -c 'write -P 2 192k 4k' top.qcow2
qemu-img commit -f qcow2 top.qcow2
qemu-img map --output=json -f qcow2 base.qcow2
qemu-img map --output=json -f qcow2 top.qcow2
qemu-nbd -r -t -A -f qcow2 top.qcow2 &
nbdinfo --map=qemu:allocation-depth nbd://localhost
