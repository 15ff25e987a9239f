# rule: a server that aborts under a request is a finding of its own (server-crashed), named by its last words: reading through copy-on-read into an extended-L2 overlay whose first subcluster is a zero subcluster asserts in bdrv_co_do_copy_on_readv (KF-031); the next query finds the server gone and is not counted again. The campaign's minimised reproducer (seed 21).
# requires: qemu-storage-daemon nbdinfo
# expect: findings KF-031 KF-002
qemu-img create -q -f qcow2 -o cluster_size=1048576 l0.qcow2 131072
qemu-io -f qcow2 l0.qcow2 -c 'write -P 236 65536 1'
qemu-img create -q -f qcow2 -o cluster_size=65536,extended_l2=on -b l0.qcow2 -F qcow2 l1.qcow2 65536
qemu-io -f qcow2 l1.qcow2 -c 'write -z -u 0 512'
qemu-storage-daemon \
  --blockdev '{"driver":"file","filename":"l1.qcow2","node-name":"n0","read-only":false}' \
  --blockdev '{"driver":"qcow2","file":"n0","node-name":"n1","read-only":false}' \
  --blockdev '{"driver":"copy-on-read","file":"n1","node-name":"n2","read-only":false}' \
  --nbd-server addr.type=unix,addr.path=qsd.sock \
  --export type=nbd,id=export,node-name=n2,name=export,allocation-depth=on &
nbdinfo --map=qemu:allocation-depth 'nbd+unix:///export?socket=qsd.sock'
nbdinfo --map 'nbd+unix:///export?socket=qsd.sock'
