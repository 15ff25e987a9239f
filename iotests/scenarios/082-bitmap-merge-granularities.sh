# rule: merge sets the source's dirty areas into the target at the target's granularity (hbitmap_sparse_merge), into a disabled target too, and from another image of the same size (-b); a different size is refused.
qemu-img create -f qcow2 t.qcow2 1M
qemu-img create -f qcow2 other.qcow2 1M
qemu-img create -f qcow2 big.qcow2 2M
qemu-img bitmap --add -g 4k t.qcow2 fine
qemu-img bitmap --add -g 128k --disable t.qcow2 coarse
qemu-img bitmap --add -g 4k other.qcow2 fine
qemu-img bitmap --add big.qcow2 fine
qemu-io -f qcow2 -c 'write -P 1 70k 1k' t.qcow2
qemu-io -f qcow2 -c 'write -P 1 900k 1k' other.qcow2
qemu-img bitmap --merge fine t.qcow2 coarse
qemu-img bitmap --merge fine -b other.qcow2 -F qcow2 t.qcow2 fine
qemu-img bitmap --merge fine -b big.qcow2 -F qcow2 t.qcow2 fine
qemu-nbd -r -t -B fine -B coarse -f qcow2 t.qcow2 &
nbdinfo --map=qemu:dirty-bitmap:fine nbd://localhost
nbdinfo --map=qemu:dirty-bitmap:coarse nbd://localhost
