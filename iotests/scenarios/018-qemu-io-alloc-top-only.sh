# rule: qemu-io map and alloc look at the top layer only: backing data is "not allocated" (bdrv_is_allocated).
qemu-img create -f qcow2 base.qcow2 1M
qemu-io -f qcow2 -c 'write -P 1 0 64k' -c 'write -z 128k 64k' base.qcow2
qemu-img create -f qcow2 -b base.qcow2 -F qcow2 top.qcow2 2M
qemu-io -f qcow2 -c 'write -P 2 64k 64k' -c 'write -z 192k 64k' -c 'write -z -u 256k 64k' top.qcow2
qemu-io -f qcow2 -c map -c 'alloc 0 2M' -c 'alloc 2093056 4096' top.qcow2
