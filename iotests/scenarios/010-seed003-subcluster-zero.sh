# rule: write -z of 512 bytes on an unallocated subcluster zeroes the whole 2 KiB subcluster; on a data subcluster it keeps the host cluster (ZERO_ALLOC) (seed 003).
qemu-img create -f qcow2 -o cluster_size=64k,extended_l2=on sub.qcow2 1M
qemu-io -f qcow2 -c 'write -z 1k 512' -c 'write -P 3 64k 64k' -c 'write -z 66k 2k' sub.qcow2
qemu-img map --output=json -f qcow2 sub.qcow2
qemu-nbd -r -t -A -f qcow2 sub.qcow2 &
nbdinfo --map nbd://localhost
