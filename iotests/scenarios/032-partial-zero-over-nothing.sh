# rule: a partial write -z on a cluster that reads zero everywhere turns the whole cluster into a zero cluster (present).
qemu-img create -f qcow2 z.qcow2 1M
qemu-io -f qcow2 -c 'write -z 300k 4k' z.qcow2
qemu-img map --output=json -f qcow2 z.qcow2
qemu-io -f qcow2 -c map z.qcow2
