# rule: a guest write marks every bitmap granule it touches, at each bitmap's own granularity (hbitmap_set), whatever the cluster size; the default granularity is the cluster size clamped to 4k..64k (bdrv_get_default_bitmap_granularity).
qemu-img create -f qcow2 -o cluster_size=512 t.qcow2 1M
qemu-img bitmap --add t.qcow2 default
qemu-img bitmap --add -g 512 t.qcow2 fine
qemu-img bitmap --add -g 64k t.qcow2 coarse
qemu-io -f qcow2 -c 'write -P 1 1000 1' -c 'write -P 2 65535 2' t.qcow2
qemu-nbd -r -t -B default -B fine -B coarse -f qcow2 t.qcow2 &
nbdinfo --map=qemu:dirty-bitmap:default nbd://localhost
nbdinfo --map=qemu:dirty-bitmap:fine nbd://localhost
nbdinfo --map=qemu:dirty-bitmap:coarse nbd://localhost
