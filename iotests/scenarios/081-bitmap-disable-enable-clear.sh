# rule: a disabled bitmap ignores guest writes until enabled (bdrv_set_dirty skips it); clear empties it; zero writes and discards mark like writes (bdrv_co_write_req_finish); qemu-img bitmap applies its actions in command-line order.
qemu-img create -f qcow2 t.qcow2 1M
qemu-img bitmap --add --disable t.qcow2 b
qemu-io -f qcow2 -c 'write -P 1 0 4k' t.qcow2
qemu-img bitmap --enable t.qcow2 b
qemu-io -f qcow2 -c 'write -z 128k 4k' -c 'discard 256k 64k' t.qcow2
qemu-img bitmap --add t.qcow2 c
qemu-io -f qcow2 -c 'write -P 3 512k 4k' t.qcow2
qemu-img bitmap --clear --disable t.qcow2 c
qemu-io -f qcow2 -c 'write -P 4 768k 4k' t.qcow2
qemu-nbd -r -t -B b -B c -f qcow2 t.qcow2 &
nbdinfo --map=qemu:dirty-bitmap:b nbd://localhost
nbdinfo --map=qemu:dirty-bitmap:c nbd://localhost
