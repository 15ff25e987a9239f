# rule: a zeroed overlay cluster hides the backing data: map reports it present at depth 0 and NBD as local, while base:allocation calls it a hole (seed 004).
qemu-img create -f raw base.raw $((4*64*1024))
qemu-img create -f qcow2 -b base.raw -F raw top.qcow2
qemu-io -f raw -c "write -P 65 0 64k" -c "write -P 66 64k 64k" -c "write -P 67 128k 64k" base.raw
qemu-io -f qcow2 -c "write -P 69 64k 64k" -c "write -z 128k 64k" top.qcow2
qemu-img map --output=json -f qcow2 top.qcow2
qemu-nbd -r -t -f qcow2 -A top.qcow2 &
nbdinfo --map nbd://localhost
nbdinfo --map=qemu:allocation-depth nbd://localhost
