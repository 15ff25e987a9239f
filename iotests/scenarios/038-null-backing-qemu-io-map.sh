# rule: qemu-io map of an overlay opened with backing: null is the overlay's own allocation.
qemu-img create -f qcow2 base.qcow2 1M
qemu-io -f qcow2 -c 'write -P 1 0 1M' base.qcow2
qemu-img create -f qcow2 -b base.qcow2 -F qcow2 top.qcow2
qemu-io -f qcow2 -c 'write -P 2 64k 64k' top.qcow2
qemu-io -c map 'json:{"driver":"qcow2","backing":null,"file":{"driver":"file","filename":"top.qcow2"}}'
qemu-img map --output=json 'json:{"driver":"qcow2","backing":null,"file":{"driver":"file","filename":"top.qcow2"}}'
