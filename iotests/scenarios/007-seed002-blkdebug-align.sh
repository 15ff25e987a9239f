# rule: under blkdebug align=4k the server advertises a 4 KiB minimum block and MUST send 4 KiB-multiple extents; QEMU sends the 512 B ones (seed 002, KF-001) and counts blkdebug in the depth (KF-002).
# expect: findings KF-001 KF-002
qemu-img create -f qcow2 -o cluster_size=512 back.qcow2 4M
qemu-io -c 'w -P 1 0 512' -c 'w -P 1 1k 512' -f qcow2 back.qcow2
qemu-img create -f qcow2 -F qcow2 -b back.qcow2 -o cluster_size=1M top.qcow2
qemu-img map --output=json --image-opts driver=blkdebug,image.driver=qcow2,image.file.driver=file,image.file.filename=top.qcow2,align=4k
qemu-nbd -r -t -A --image-opts driver=blkdebug,image.driver=qcow2,image.file.driver=file,image.file.filename=top.qcow2,align=4k &
nbdinfo --map nbd://localhost
nbdinfo --map=qemu:allocation-depth nbd://localhost
