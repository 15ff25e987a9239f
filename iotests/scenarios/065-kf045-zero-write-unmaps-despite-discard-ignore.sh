# rule: write -z -u through a BlockBackend on a qcow2 node opened with discard=ignore should keep the host cluster (BDRV_O_UNMAP gates BDRV_REQ_MAY_UNMAP, bdrv_co_pwrite_zeroes) while its discard is ignored; QEMU 7.2 frees the cluster (KF-045).
# expect: findings KF-045
qemu-img create -f qcow2 base.qcow2 1M
qemu-io -f qcow2 -c 'write -P 1 0 128k' base.qcow2
qemu-io -c 'write -z -u 0 64k' -c 'discard 64k 64k' --image-opts driver=qcow2,discard=ignore,file.driver=file,file.filename=base.qcow2
qemu-img map --output=json -f qcow2 base.qcow2
