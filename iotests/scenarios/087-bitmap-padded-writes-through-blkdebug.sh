# rule: a write unaligned to a filter's request alignment is padded (read-modify-write) before it reaches the image, so the image's bitmaps are marked over the padded blocks; a discard shrinks to the aligned part (bdrv_co_pwritev_part, bdrv_co_pdiscard).
qemu-img create -f qcow2 -o cluster_size=4k t.qcow2 1M
qemu-img bitmap --add -g 512 t.qcow2 fine
qemu-io -c 'write -P 1 5000 100' -c 'write -z 20000 100' -c 'discard 40000 9000' --image-opts driver=blkdebug,align=4096,image.driver=qcow2,image.file.driver=file,image.file.filename=t.qcow2
qemu-img map --output=json -f qcow2 t.qcow2
qemu-nbd -r -t -B fine -f qcow2 t.qcow2 &
nbdinfo --map=qemu:dirty-bitmap:fine nbd://localhost
