# rule: a 4 KiB write into a 2 MiB cluster allocates the whole cluster (COW of zeroes).
qemu-img create -f qcow2 -o cluster_size=2M big.qcow2 8M
qemu-io -f qcow2 -c 'write -P 9 2052k 4k' big.qcow2
qemu-io -f qcow2 -c map big.qcow2
qemu-nbd -r -t -A -f qcow2 big.qcow2 &
nbdinfo --map=qemu:allocation-depth nbd://localhost
