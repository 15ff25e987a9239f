# rule: blkdebug with align over the file (protocol) node changes only that node's request alignment: the qcow2 node above keeps alignment 1 (bdrv_merge_limits does not merge request_alignment), so status extents are not rounded.
# requires: qemu-storage-daemon nbdinfo
qemu-img create -f qcow2 -o cluster_size=4k base.qcow2 1M
qemu-io -f qcow2 -c 'write -P 1 0 4k' base.qcow2
qemu-img create -f qcow2 -o cluster_size=4k -b base.qcow2 -F qcow2 top.qcow2
qemu-io -f qcow2 -c 'write -P 2 8k 4k' top.qcow2
qemu-img map --output=json --image-opts driver=qcow2,file.driver=blkdebug,file.align=65536,file.image.driver=file,file.image.filename=top.qcow2
qemu-storage-daemon \
  --blockdev driver=file,filename=top.qcow2,node-name=f \
  --blockdev driver=blkdebug,image=f,align=65536,node-name=dbg \
  --blockdev driver=qcow2,file=dbg,node-name=top,read-only=on \
  --nbd-server addr.type=unix,addr.path=/tmp/dbg.sock \
  --export type=nbd,id=e0,node-name=top,allocation-depth=on &
nbdinfo --map=qemu:allocation-depth 'nbd+unix:///top?socket=/tmp/dbg.sock'
nbdinfo --map 'nbd+unix:///top?socket=/tmp/dbg.sock'
