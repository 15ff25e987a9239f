# rule: a bitmap context obeys the NBD minimum block size like every context; QEMU sends 512-byte granules under blkdebug align=4096, which advertises a 4096-byte minimum (KF-001's rule; the model rounds with dirty sticky).
# expect: findings KF-001
qemu-img create -f qcow2 -o cluster_size=4k t.qcow2 1M
qemu-img bitmap --add -g 512 t.qcow2 fine
qemu-io -f qcow2 -c 'write -P 1 1000 100' t.qcow2
qemu-nbd -r -t -B fine --image-opts driver=blkdebug,align=4096,image.driver=qcow2,image.file.driver=file,image.file.filename=t.qcow2 &
nbdinfo --map=qemu:dirty-bitmap:fine nbd://localhost
