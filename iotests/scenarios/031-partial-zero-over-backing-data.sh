# rule: a partial write -z whose cluster's rest reads backing data falls back to explicit zeroes: the cluster becomes data (qcow2_co_pwrite_zeroes -ENOTSUP).
qemu-img create -f qcow2 base.qcow2 1M
qemu-io -f qcow2 -c 'write -P 1 0 1M' base.qcow2
qemu-img create -f qcow2 -b base.qcow2 -F qcow2 top.qcow2
qemu-io -f qcow2 -c 'write -z 4k 4k' top.qcow2
qemu-img map --output=json -f qcow2 top.qcow2
qemu-io -f qcow2 -c 'read -P 1 0 4k' -c 'read -P 0 4k 4k' -c 'read -P 1 8k 56k' top.qcow2
