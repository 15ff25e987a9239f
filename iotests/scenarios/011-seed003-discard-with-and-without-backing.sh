# rule: discard of a data cluster leaves a zero cluster (present) with or without a backing; discard of a never-written cluster without a backing changes nothing (seed 003).
qemu-img create -f qcow2 alone.qcow2 1M
qemu-io -f qcow2 -c 'write -P 1 0 64k' -c 'discard 0 128k' alone.qcow2
qemu-img map --output=json -f qcow2 alone.qcow2
qemu-img create -f qcow2 base.qcow2 1M
qemu-io -f qcow2 -c 'write -P 2 0 1M' base.qcow2
qemu-img create -f qcow2 -b base.qcow2 -F qcow2 top.qcow2
qemu-io -f qcow2 -c 'discard 64k 64k' top.qcow2
qemu-img map --output=json -f qcow2 top.qcow2
qemu-nbd -r -t -A -f qcow2 top.qcow2 &
nbdinfo --map=qemu:allocation-depth nbd://localhost
