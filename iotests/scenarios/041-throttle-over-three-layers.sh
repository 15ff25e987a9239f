# rule: a throttle filter over a three-layer chain shifts every backing depth by one (KF-002: depths past the chain; a spec finding explains the whole context).
# expect: findings KF-002
qemu-img create -f qcow2 l0.qcow2 1M
qemu-io -f qcow2 -c 'write -P 1 0 64k' l0.qcow2
qemu-img create -f qcow2 -b l0.qcow2 -F qcow2 l1.qcow2
qemu-io -f qcow2 -c 'write -P 2 64k 64k' l1.qcow2
qemu-img create -f qcow2 -b l1.qcow2 -F qcow2 l2.qcow2
qemu-nbd -r -t -A --object throttle-group,id=tg0 'json:{"driver":"throttle","throttle-group":"tg0","file":{"driver":"qcow2","file":{"driver":"file","filename":"l2.qcow2"}}}' &
nbdinfo --map=qemu:allocation-depth nbd://localhost
