# rule: a compressed write into a ZERO_PLAIN cluster (no host offset) succeeds.
qemu-img create -f qcow2 c.qcow2 1M
qemu-io -f qcow2 -c 'write -z -u 0 64k' -c 'write -c -P 8 0 64k' c.qcow2
qemu-img map --output=json -f qcow2 c.qcow2
qemu-io -f qcow2 -c 'read -P 8 0 64k' c.qcow2
