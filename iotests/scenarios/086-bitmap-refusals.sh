# rule: qemu-img bitmap refuses what QEMU cannot store or find (an existing name, a granularity under 512 or not a power of two, -g without --add, compat=0.10 images, raw images, a missing bitmap), and keeps the actions before a failing one.
qemu-img create -f qcow2 t.qcow2 1M
qemu-img create -f qcow2 -o compat=0.10 v2.qcow2 1M
qemu-img create -f raw r.raw 1M
qemu-img bitmap --add t.qcow2 b
qemu-img bitmap --add t.qcow2 b
qemu-img bitmap --add -g 256 t.qcow2 c
qemu-img bitmap --add -g 3000 t.qcow2 c
qemu-img bitmap --clear -g 4k t.qcow2 b
qemu-img bitmap --add v2.qcow2 b
qemu-img bitmap --add -f raw r.raw b
qemu-img bitmap --add --merge missing t.qcow2 kept
qemu-io -f qcow2 -c 'write -P 1 0 1' t.qcow2
qemu-nbd -r -t -B kept -f qcow2 t.qcow2 &
nbdinfo --map=qemu:dirty-bitmap:kept nbd://localhost
