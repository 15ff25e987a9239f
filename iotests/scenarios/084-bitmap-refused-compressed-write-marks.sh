# rule: a compressed write qcow2 refuses (cluster allocated: EIO; unaligned: EINVAL) still marks its range, because bdrv_co_write_req_finish runs whatever the driver returned (found by the campaign, seed 7).
qemu-img create -f qcow2 t.qcow2 1M
qemu-img bitmap --add t.qcow2 b
qemu-io -f qcow2 -c 'write -P 1 0 4k' t.qcow2
qemu-img bitmap --clear t.qcow2 b
qemu-io -f qcow2 -c 'write -c -P 2 0 64k' t.qcow2
qemu-io -f qcow2 -c 'write -c -P 2 131584 4096' t.qcow2
qemu-io -f qcow2 -c 'write -c -P 3 256k 64k' t.qcow2
qemu-nbd -r -t -B b -f qcow2 t.qcow2 &
nbdinfo --map=qemu:dirty-bitmap:b nbd://localhost
