# rule: zeroing data without unmap keeps the host cluster (ZERO_ALLOC, offset kept); with -u the cluster is freed (ZERO_PLAIN) (seed 003, qcow2_subcluster_zeroize).
qemu-img create -f qcow2 z.qcow2 1M
qemu-io -f qcow2 -c 'write -P 5 0 128k' -c 'write -z 0 64k' -c 'write -z -u 64k 64k' z.qcow2
qemu-img map --output=json -f qcow2 z.qcow2
qemu-io -f qcow2 -c map z.qcow2
