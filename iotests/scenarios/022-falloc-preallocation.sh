# rule: preallocation=falloc allocates data clusters on allocated host space: data, not zero, with offsets.
qemu-img create -f qcow2 -o preallocation=falloc fa.qcow2 1M
qemu-img map --output=json -f qcow2 fa.qcow2
qemu-nbd -r -t -f qcow2 fa.qcow2 &
nbdinfo --map nbd://localhost
