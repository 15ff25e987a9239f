# rule: on a compat=0.10 image with a backing file discard is not supported and silently changes nothing.
qemu-img create -f qcow2 base.qcow2 1M
qemu-io -f qcow2 -c 'write -P 1 0 1M' base.qcow2
qemu-img create -f qcow2 -o compat=0.10 -b base.qcow2 -F qcow2 v2.qcow2
qemu-io -f qcow2 -c 'write -P 2 0 128k' -c 'discard 0 128k' v2.qcow2
qemu-img map --output=json -f qcow2 v2.qcow2
