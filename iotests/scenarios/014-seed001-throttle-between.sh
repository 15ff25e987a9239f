# rule: a throttle filter on top is transparent for block status, but QEMU counts it as a layer in allocation depth (seed 001, KF-002).
# expect: findings KF-002
qemu-img create -f qcow2 base.qcow2 1M
qemu-io -f qcow2 -c 'write -P 1 0 64k' base.qcow2
qemu-img create -f qcow2 -b base.qcow2 -F qcow2 top.qcow2
qemu-io -f qcow2 -c 'write -P 2 64k 64k' top.qcow2
qemu-img map --output=json --object throttle-group,id=tg0 'json:{"driver":"throttle","throttle-group":"tg0","file":{"driver":"qcow2","file":{"driver":"file","filename":"top.qcow2"}}}'
qemu-nbd -r -t -A --object throttle-group,id=tg0 'json:{"driver":"throttle","throttle-group":"tg0","file":{"driver":"qcow2","file":{"driver":"file","filename":"top.qcow2"}}}' &
nbdinfo --map=qemu:allocation-depth nbd://localhost
nbdinfo --map nbd://localhost
