# rule: qemu-img convert writes only non-zero data into a new target (zero ranges and all-zero data stay unallocated); with -B it looks only at the source's top layer: its zero cluster becomes a zero cluster, what it leaves unallocated stays unallocated over the backing.
qemu-img create -f qcow2 base.qcow2 1M
qemu-io -f qcow2 -c 'write -P 1 0 128k' -c 'write -P 0 256k 64k' base.qcow2
qemu-img create -f qcow2 -b base.qcow2 -F qcow2 top.qcow2
qemu-io -f qcow2 -c 'write -z 0 64k' -c 'write -P 2 512k 4k' top.qcow2
qemu-img convert -f qcow2 -O qcow2 top.qcow2 flat.qcow2
qemu-img map --output=json -f qcow2 flat.qcow2
qemu-img convert -f qcow2 -O qcow2 -B base.qcow2 -F qcow2 top.qcow2 thin.qcow2
qemu-img map --output=json -f qcow2 thin.qcow2
qemu-nbd -r -t -A -f qcow2 thin.qcow2 &
nbdinfo --map=qemu:allocation-depth nbd://localhost
