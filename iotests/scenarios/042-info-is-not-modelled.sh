# rule: qemu-img info runs but is not modelled; the model's view stays valid after it (info changes nothing).
qemu-img create -f qcow2 i.qcow2 1M
qemu-io -f qcow2 -c 'write -P 1 0 64k' i.qcow2
qemu-img info i.qcow2
qemu-img map --output=json -f qcow2 i.qcow2
