# rule: convert -n zeroes the source's zero ranges in the existing target (write-zeroes with unmap: zero clusters); --target-is-zero skips that, so stale target bytes survive where the promise was false.
qemu-img create -f qcow2 src.qcow2 256k
qemu-io -f qcow2 -c 'write -P 5 64k 64k' src.qcow2
qemu-img create -f qcow2 a.qcow2 256k
qemu-io -f qcow2 -c 'write -P 8 0 256k' a.qcow2
qemu-img convert -n -f qcow2 -O qcow2 src.qcow2 a.qcow2
qemu-img map --output=json -f qcow2 a.qcow2
qemu-img create -f qcow2 b.qcow2 256k
qemu-io -f qcow2 -c 'write -P 8 0 256k' b.qcow2
qemu-img convert -n --target-is-zero -f qcow2 -O qcow2 src.qcow2 b.qcow2
qemu-img map --output=json -f qcow2 b.qcow2
qemu-io -r -f qcow2 -c 'read -P 8 0 64k' -c 'read -P 5 64k 64k' b.qcow2
