# rule: write -z -u over a ZERO_ALLOC cluster frees its host cluster (ZERO_PLAIN: no offset).
qemu-img create -f qcow2 u.qcow2 1M
qemu-io -f qcow2 -c 'write -P 4 0 64k' -c 'write -z 0 64k' u.qcow2
qemu-img map --output=json -f qcow2 u.qcow2
qemu-io -f qcow2 -c 'write -z -u 0 64k' u.qcow2
qemu-img map --output=json -f qcow2 u.qcow2
