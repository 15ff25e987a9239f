# rule: compat=0.10 images have no zero clusters: write -z without a backing leaves the cluster unallocated, with a backing it writes explicit zeroes.
qemu-img create -f qcow2 -o compat=0.10 v2.qcow2 1M
qemu-io -f qcow2 -c 'write -P 1 0 64k' -c 'write -z 0 64k' v2.qcow2
qemu-img map --output=json -f qcow2 v2.qcow2
qemu-img create -f qcow2 -o compat=0.10 -b v2.qcow2 -F qcow2 v2top.qcow2
qemu-io -f qcow2 -c 'write -z 64k 64k' v2top.qcow2
qemu-img map --output=json -f qcow2 v2top.qcow2
