# rule: with extended L2 a partial write allocates only the touched 2 KiB subclusters; the rest of the cluster keeps its host cluster unallocated (seed 003).
qemu-img create -f qcow2 -o cluster_size=64k,extended_l2=on sub.qcow2 1M
qemu-io -f qcow2 -c 'write -P 9 4k 1k' sub.qcow2
qemu-img map --output=json -f qcow2 sub.qcow2
qemu-io -f qcow2 -c map sub.qcow2
qemu-nbd -r -t -A -f qcow2 sub.qcow2 &
nbdinfo --map nbd://localhost
nbdinfo --map=qemu:allocation-depth nbd://localhost
