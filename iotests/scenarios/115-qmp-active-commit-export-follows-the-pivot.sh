# rule: an active commit's pivot (mirror_exit_common -> bdrv_replace_node) moves every parent of the device's node onto the base, the NBD export included: after it the export serves the base (here the middle layer, opened from the top's header with its own backing), so allocation depth counts from there.
# requires: qemu-storage-daemon nbdinfo
# expect: clean
qemu-img create -f qcow2 base.qcow2 1M
qemu-io -f qcow2 -c 'write -P 1 0 256k' base.qcow2
qemu-img create -f qcow2 -b base.qcow2 -F qcow2 mid.qcow2
qemu-io -f qcow2 -c 'write -P 4 192k 128k' mid.qcow2
qemu-img create -f qcow2 -b mid.qcow2 -F qcow2 top.qcow2
qemu-io -f qcow2 -c 'write -P 2 64k 64k' -c 'write -P 3 512k 4k' top.qcow2
qemu-storage-daemon --blockdev driver=qcow2,node-name=top,file.driver=file,file.filename=top.qcow2 \
  --chardev socket,id=qmp0,path=qmp.sock,server=on,wait=off --monitor chardev=qmp0 \
  --nbd-server addr.type=unix,addr.path=/tmp/qsd.sock &
{"execute": "block-export-add", "arguments": {"type": "nbd", "id": "e0", "node-name": "top", "name": "e0", "allocation-depth": true}}
nbdinfo --map=qemu:allocation-depth 'nbd+unix:///e0?socket=/tmp/qsd.sock'
{"execute": "block-commit", "arguments": {"job-id": "job0", "device": "top", "base": "mid.qcow2"}}
nbdinfo --map=qemu:allocation-depth 'nbd+unix:///e0?socket=/tmp/qsd.sock'
nbdinfo --map 'nbd+unix:///e0?socket=/tmp/qsd.sock'
(QEMU) quit
qemu-img map --output=json mid.qcow2
