# rule: with 512-byte clusters an unaligned 100-byte write allocates exactly the clusters it touches.
qemu-img create -f qcow2 -o cluster_size=512 s.qcow2 64k
qemu-io -f qcow2 -c 'write -P 7 1000 100' s.qcow2
qemu-img map --output=json -f qcow2 s.qcow2
qemu-io -f qcow2 -c map -c 'alloc 0 4096' s.qcow2
