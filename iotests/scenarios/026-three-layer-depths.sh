# rule: allocation depth numbers the layers of a three-layer chain 1, 2, 3, and 0 where none has the data.
qemu-img create -f qcow2 l0.qcow2 1M
qemu-io -f qcow2 -c 'write -P 1 0 64k' l0.qcow2
qemu-img create -f qcow2 -b l0.qcow2 -F qcow2 l1.qcow2
qemu-io -f qcow2 -c 'write -P 2 64k 64k' l1.qcow2
qemu-img create -f qcow2 -b l1.qcow2 -F qcow2 l2.qcow2
qemu-io -f qcow2 -c 'write -P 3 128k 64k' l2.qcow2
qemu-img map --output=json -f qcow2 l2.qcow2
qemu-nbd -r -t -A -f qcow2 l2.qcow2 &
nbdinfo --map=qemu:allocation-depth nbd://localhost
nbdinfo --map nbd://localhost
