# rule: an overlay longer than its raw backing reads zeroes past the backing's end; allocation depth says the backing layer (KF-006 on the map side).
# expect: findings KF-006
qemu-img create -f raw base.raw 256k
qemu-io -f raw -c 'write -P 1 0 64k' base.raw
qemu-img create -f qcow2 -b base.raw -F raw top.qcow2 1M
qemu-img map --output=json -f qcow2 top.qcow2
qemu-nbd -r -t -A -f qcow2 top.qcow2 &
nbdinfo --map=qemu:allocation-depth nbd://localhost
