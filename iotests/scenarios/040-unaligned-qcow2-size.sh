# rule: a qcow2 of 1000 bytes has a 1024-byte guest size (sector-rounded) and maps as one unallocated extent.
qemu-img create -f qcow2 tiny.qcow2 1000
qemu-img map --output=json -f qcow2 tiny.qcow2
qemu-nbd -r -t -A -f qcow2 tiny.qcow2 &
nbdinfo --map=qemu:allocation-depth nbd://localhost
