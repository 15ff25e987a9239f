# rule: qemu-img commit marks the base's enabled bitmaps where the mirror writes (whole 64k chunks) and leaves the emptied top's bitmaps as they were (bdrv_make_empty marks nothing); convert --bitmaps copies the source top's bitmaps with their bits; a qemu-storage-daemon export finds a bitmap of the base through a throttle filter between the layers (block-export-add "bitmaps", bdrv_filter_or_cow_bs).
# requires: qemu-storage-daemon nbdinfo
qemu-img create -f qcow2 base.qcow2 1M
qemu-img bitmap --add -g 4k base.qcow2 bb
qemu-io -f qcow2 -c 'write -P 1 0 128k' base.qcow2
qemu-img create -f qcow2 -b base.qcow2 -F qcow2 top.qcow2
qemu-img bitmap --add -g 512 top.qcow2 tb
qemu-io -f qcow2 -c 'write -z 0 64k' -c 'write -P 2 192k 4k' top.qcow2
qemu-img convert -f qcow2 -O qcow2 --bitmaps top.qcow2 copy.qcow2
qemu-img commit -f qcow2 top.qcow2
qemu-storage-daemon --object throttle-group,id=tg0 \
  --blockdev '{"driver":"file","filename":"base.qcow2","node-name":"base-file","read-only":true}' \
  --blockdev '{"driver":"qcow2","file":"base-file","node-name":"base","read-only":true}' \
  --blockdev '{"driver":"throttle","throttle-group":"tg0","file":"base","node-name":"throttled","read-only":true}' \
  --blockdev '{"driver":"file","filename":"top.qcow2","node-name":"top-file","read-only":true}' \
  --blockdev '{"driver":"qcow2","file":"top-file","backing":"throttled","node-name":"top","read-only":true}' \
  --blockdev '{"driver":"file","filename":"copy.qcow2","node-name":"copy-file","read-only":true}' \
  --blockdev '{"driver":"qcow2","file":"copy-file","node-name":"copy","read-only":true}' \
  --nbd-server addr.type=unix,addr.path=/tmp/qsd.sock \
  --export type=nbd,id=e0,node-name=top,name=top,bitmaps.0=tb,bitmaps.1=bb \
  --export type=nbd,id=e1,node-name=copy,name=copy,bitmaps.0=tb &
nbdinfo --map=qemu:dirty-bitmap:bb 'nbd+unix:///top?socket=/tmp/qsd.sock'
nbdinfo --map=qemu:dirty-bitmap:tb 'nbd+unix:///top?socket=/tmp/qsd.sock'
nbdinfo --map=qemu:dirty-bitmap:tb 'nbd+unix:///copy?socket=/tmp/qsd.sock'
