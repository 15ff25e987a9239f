# rule: with extended_l2 any preallocation reserves host clusters with no subcluster allocated: zero, not data, not present, with an offset (UNALLOCATED_ALLOC).
qemu-img create -f qcow2 -o extended_l2=on,preallocation=metadata pre.qcow2 1M
qemu-img map --output=json -f qcow2 pre.qcow2
qemu-io -f qcow2 -c map pre.qcow2
