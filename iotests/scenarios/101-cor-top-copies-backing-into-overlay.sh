# rule: copy-on-read on top is transparent for status, but reading the export through it copies what the overlay does not allocate into the overlay - only the pieces the export calls data: QEMU's NBD server sends ZERO pieces as holes without reading them (nbd_co_send_sparse_read), so they stay unallocated; the second map shows the copy at depth 1.
# requires: qemu-storage-daemon nbdinfo
# expect: findings KF-002
qemu-img create -f qcow2 base.qcow2 1M
qemu-io -f qcow2 -c 'write -P 1 0 64k' base.qcow2
qemu-img create -f qcow2 -b base.qcow2 -F qcow2 top.qcow2
qemu-io -f qcow2 -c 'write -P 2 128k 64k' top.qcow2
qemu-storage-daemon \
  --blockdev driver=file,filename=top.qcow2,node-name=top-file \
  --blockdev driver=qcow2,file=top-file,node-name=top \
  --blockdev driver=copy-on-read,file=top,node-name=cor \
  --nbd-server addr.type=unix,addr.path=/tmp/cor.sock \
  --export type=nbd,id=e0,node-name=cor,name=cor,allocation-depth=on &
nbdinfo --map=qemu:allocation-depth 'nbd+unix:///cor?socket=/tmp/cor.sock'
nbdinfo --map=qemu:allocation-depth 'nbd+unix:///cor?socket=/tmp/cor.sock'
