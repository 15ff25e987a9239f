# rule: copy-on-read between an overlay and its backing copies into its child (the middle layer), never into the overlay; before the read QEMU counts the filter in allocation depth where the middle layer defers (KF-002), after it the middle layer allocates the copied data.
# requires: qemu-storage-daemon nbdinfo
# expect: findings KF-002
qemu-img create -f qcow2 base.qcow2 1M
qemu-io -f qcow2 -c 'write -P 1 0 64k' base.qcow2
qemu-img create -f qcow2 -b base.qcow2 -F qcow2 mid.qcow2
qemu-io -f qcow2 -c 'write -P 3 256k 64k' mid.qcow2
qemu-img create -f qcow2 -b mid.qcow2 -F qcow2 top.qcow2
qemu-io -f qcow2 -c 'write -P 2 128k 64k' top.qcow2
qemu-storage-daemon \
  --blockdev driver=file,filename=mid.qcow2,node-name=mid-file \
  --blockdev driver=qcow2,file=mid-file,node-name=mid \
  --blockdev driver=copy-on-read,file=mid,node-name=cor \
  --blockdev driver=file,filename=top.qcow2,node-name=top-file \
  --blockdev driver=qcow2,file=top-file,backing=cor,node-name=top \
  --nbd-server addr.type=unix,addr.path=/tmp/corb.sock \
  --export type=nbd,id=e0,node-name=top,allocation-depth=on &
nbdinfo --map=qemu:allocation-depth 'nbd+unix:///top?socket=/tmp/corb.sock'
nbdinfo --map=qemu:allocation-depth 'nbd+unix:///top?socket=/tmp/corb.sock'
