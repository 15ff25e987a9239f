# rule: nbdkit's blocksize filter (minblock=4096) in front of qemu-nbd rounds QEMU's 512-byte extents with the sticky rules of seed 002 (DATA if any piece has data, ZERO only if every piece is zero) and rounds the export size down to minblock; its blocksize-policy filter advertises the minimum but forwards the 512-byte extents (KF-011); the file plugin serves a raw file's own byte size.
# requires: nbdkit nbdinfo
# expect: findings KF-011
qemu-img create -q -f qcow2 -o cluster_size=512 back.qcow2 1M
qemu-io -f qcow2 -c 'write -P 1 0 512' -c 'write -P 1 1k 512' -c 'write -P 2 64k 4k' back.qcow2
qemu-img create -q -f qcow2 -F qcow2 -b back.qcow2 top.qcow2
qemu-io -f qcow2 -c 'write -z 64k 512' -c 'write -P 3 $((128*1024+512)) 512' top.qcow2
qemu-nbd -r -t -k q.sock -f qcow2 top.qcow2 &
nbdinfo --map nbd://localhost
nbdkit -U k.sock -f --exit-with-parent --filter=blocksize nbd socket=q.sock minblock=4096 &
nbdinfo --map 'nbd+unix:///?socket=k.sock'
nbdkit -U p.sock --filter=blocksize-policy nbd socket=q.sock blocksize-minimum=4096 &
nbdinfo --map 'nbd+unix:///?socket=p.sock'
truncate -s 70000 r.raw
qemu-io -f raw -c 'write -P 4 5000 100' r.raw
nbdkit -U f.sock -r --filter=blocksize file r.raw minblock=4096 &
nbdinfo --map 'nbd+unix:///?socket=f.sock'
