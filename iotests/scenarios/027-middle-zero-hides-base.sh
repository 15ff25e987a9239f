# rule: a zero cluster in the middle layer hides the base's data: it reads zero and is allocated at depth 2.
qemu-img create -f qcow2 l0.qcow2 1M
qemu-io -f qcow2 -c 'write -P 1 0 256k' l0.qcow2
qemu-img create -f qcow2 -b l0.qcow2 -F qcow2 l1.qcow2
qemu-io -f qcow2 -c 'write -z 64k 64k' l1.qcow2
qemu-img create -f qcow2 -b l1.qcow2 -F qcow2 l2.qcow2
qemu-nbd -r -t -A -f qcow2 l2.qcow2 &
nbdinfo --map=qemu:allocation-depth nbd://localhost
nbdinfo --map nbd://localhost
