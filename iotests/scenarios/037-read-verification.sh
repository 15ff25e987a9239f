# rule: read -P verifies what the guest reads through the chain; a wrong pattern is reported by qemu-io and predicted by the model.
qemu-img create -f qcow2 base.qcow2 1M
qemu-io -f qcow2 -c 'write -P 3 0 64k' base.qcow2
qemu-img create -f qcow2 -b base.qcow2 -F qcow2 top.qcow2
qemu-io -f qcow2 -c 'read -P 3 0 64k' -c 'read -P 0 64k 64k' -c 'read -P 9 0 512' top.qcow2
