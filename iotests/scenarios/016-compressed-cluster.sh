# rule: a compressed cluster is data without a usable host offset; a compressed write over an allocated cluster fails with EIO (qcow2_alloc_compressed_cluster_offset).
qemu-img create -f qcow2 c.qcow2 1M
qemu-io -f qcow2 -c 'write -c -P 3 0 64k' c.qcow2
qemu-io -f qcow2 -c 'write -P 4 64k 64k' -c 'write -c -P 5 64k 64k' c.qcow2
qemu-img map --output=json -f qcow2 c.qcow2
qemu-nbd -r -t -A -f qcow2 c.qcow2 &
nbdinfo --map nbd://localhost
