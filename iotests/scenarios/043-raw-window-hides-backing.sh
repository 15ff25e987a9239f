# rule: a raw offset/size window over an overlay shows the backing's bytes; QEMU reports them absent from every layer (KF-007) and map hides the chain (KF-009).
# expect: findings KF-007 KF-008 KF-009
qemu-img create -f qcow2 base.qcow2 1M
qemu-io -f qcow2 -c 'write -P 1 0 1M' base.qcow2
qemu-img create -f qcow2 -b base.qcow2 -F qcow2 top.qcow2
qemu-io -f qcow2 -c 'write -P 2 64k 4k' top.qcow2
qemu-img map --output=json 'json:{"driver":"raw","offset":4096,"size":65536,"file":{"driver":"qcow2","file":{"driver":"file","filename":"top.qcow2"}}}'
qemu-nbd -r -t -A 'json:{"driver":"raw","offset":4096,"size":65536,"file":{"driver":"qcow2","file":{"driver":"file","filename":"top.qcow2"}}}' &
nbdinfo --map nbd://localhost
nbdinfo --map=qemu:allocation-depth nbd://localhost
