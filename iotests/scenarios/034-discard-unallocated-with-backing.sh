# rule: with a backing file, discarding even an unallocated cluster writes a zero cluster that hides the backing.
qemu-img create -f qcow2 base.qcow2 1M
qemu-io -f qcow2 -c 'write -P 1 0 1M' base.qcow2
qemu-img create -f qcow2 -b base.qcow2 -F qcow2 top.qcow2
qemu-io -f qcow2 -c 'discard 128k 64k' top.qcow2
qemu-img map --output=json -f qcow2 top.qcow2
qemu-io -f qcow2 -c 'read -P 0 128k 64k' top.qcow2
