# rule: a block-commit writes into the base through its BlockBackend, so the base's bitmaps are marked where data was committed (bdrv_co_write_req_finish), while block-stream copies into the top through copy-on-read (bdrv_driver_pwritev with BDRV_REQ_WRITE_UNCHANGED) and marks none of the top's bitmaps: the guest-visible bytes did not change.
# requires: qemu-storage-daemon nbdinfo
qemu-img create -f qcow2 base.qcow2 1M
qemu-io -f qcow2 -c 'write -P 1 0 128k' base.qcow2
qemu-img create -f qcow2 -b base.qcow2 -F qcow2 mid.qcow2
qemu-io -f qcow2 -c 'write -P 2 256k 64k' -c 'write -z 640k 64k' mid.qcow2
qemu-img create -f qcow2 -b mid.qcow2 -F qcow2 top.qcow2
qemu-io -f qcow2 -c 'write -P 3 512k 64k' top.qcow2
qemu-storage-daemon \
  --blockdev driver=qcow2,node-name=base,file.driver=file,file.filename=base.qcow2 \
  --blockdev driver=qcow2,node-name=mid,backing=base,file.driver=file,file.filename=mid.qcow2 \
  --blockdev driver=qcow2,node-name=top,backing=mid,file.driver=file,file.filename=top.qcow2 \
  --chardev socket,id=m,path=qmp.sock,server=on,wait=off --monitor chardev=m \
  --nbd-server addr.type=unix,addr.path=qsd.sock &
(QEMU) block-dirty-bitmap-add node=top name=rt granularity=65536
(QEMU) block-dirty-bitmap-add node=base name=rb granularity=65536
(QEMU) block-commit device=top top-node=mid base-node=base job-id=c0
(QEMU) block-stream device=top job-id=s0
(QEMU) block-dirty-bitmap-disable node=base name=rb
(QEMU) block-export-add type=nbd id=t node-name=top name=t writable=true bitmaps=["rt"]
(QEMU) block-export-add type=nbd id=b node-name=base name=b bitmaps=["rb"]
nbdinfo --map=qemu:dirty-bitmap:rt 'nbd+unix:///t?socket=qsd.sock'
nbdinfo --map=qemu:dirty-bitmap:rb 'nbd+unix:///b?socket=qsd.sock'
nbdinfo --map 'nbd+unix:///t?socket=qsd.sock'
