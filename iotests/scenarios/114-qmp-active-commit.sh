# rule: block-commit with no top is an active commit (commit_active_start, a mirror into the base): repro completes it when READY; the base then holds what the overlay allocated, and unlike qemu-img commit nothing is emptied and no header rewritten, so the overlay still allocates its data over the same backing file.
# requires: qemu-storage-daemon
# expect: clean
qemu-img create -f qcow2 base.qcow2 1M
qemu-io -f qcow2 -c 'write -P 1 0 256k' base.qcow2
qemu-img create -f qcow2 -b base.qcow2 -F qcow2 top.qcow2
qemu-io -f qcow2 -c 'write -P 2 64k 64k' -c 'write -P 3 512k 4k' top.qcow2
qemu-storage-daemon --blockdev driver=qcow2,node-name=top,file.driver=file,file.filename=top.qcow2 \
  --chardev socket,id=qmp0,path=qmp.sock,server=on,wait=off --monitor chardev=qmp0 \
  --nbd-server addr.type=unix,addr.path=nbd.sock &
(QEMU) block-commit job-id=job0 device=top
(QEMU) quit
qemu-img map --output=json base.qcow2
qemu-img map --output=json top.qcow2
