# rule: preallocation=metadata gives data clusters over host holes, reported data and zero with an offset (qcow2 RECURSE).
qemu-img create -f qcow2 -o preallocation=metadata meta.qcow2 1M
qemu-img map --output=json -f qcow2 meta.qcow2
qemu-nbd -r -t -f qcow2 meta.qcow2 &
nbdinfo --map nbd://localhost
