# rule: a 512 B-cluster backing under a 1 MiB-cluster overlay shows through at 512 B granularity in map and NBD (seed 002).
qemu-img create -f qcow2 -o cluster_size=512 back.qcow2 4M
qemu-io -c 'w -P 1 0 512' -c 'w -P 1 1k 512' -f qcow2 back.qcow2
qemu-img create -f qcow2 -F qcow2 -b back.qcow2 -o cluster_size=1M top.qcow2
qemu-img map --output=json -f qcow2 top.qcow2
qemu-nbd -r -t -A -f qcow2 top.qcow2 &
nbdinfo --map nbd://localhost
nbdinfo --map=qemu:allocation-depth nbd://localhost
